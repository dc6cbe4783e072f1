using System.Diagnostics;
using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Ssh;

/// <summary>
/// A node shell that drives the OpenSSH client (<c>ssh</c>, <c>sftp</c>). One multiplexed master connection per node
/// (ControlMaster) carries every command, so a command costs a channel, not a handshake. The host key is verified
/// against the inventory's pinned fingerprint (through <c>KnownHostsCommand</c>) or its known_hosts file; a
/// mismatch is refused with both fingerprints shown.
/// </summary>
/// <remarks>
/// SSH.NET is the package the design names; it is not obtainable from this project's package source, so the shell
/// uses the OpenSSH client every Linux machine has. Behaviour is behind <see cref="INodeShell"/>.
/// </remarks>
public sealed partial class OpenSshNodeShell : INodeShell
{
    private readonly NodeSpec node;
    private readonly NodeShellOptions options;
    private readonly string runtimeDirectory;
    private readonly string controlPath;
    private readonly string presentedKeyFile;
    private readonly SemaphoreSlim connectLock = new(1, 1);
    private Process? master;
    private bool disposed;

    /// <summary>Creates a shell for <paramref name="node"/>; nothing is contacted until the first call.</summary>
    public OpenSshNodeShell(NodeSpec node, NodeShellOptions? options = null)
    {
        this.node = node;
        this.options = options ?? new NodeShellOptions();
        this.options.Validate();
        runtimeDirectory = Directory.CreateTempSubdirectory("ce-ssh-").FullName;
        File.SetUnixFileMode(runtimeDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        controlPath = Path.Combine(runtimeDirectory, "cm");
        presentedKeyFile = Path.Combine(runtimeDirectory, "presented");
        WriteHostKeyCheckScript();
    }

    /// <inheritdoc />
    public string NodeName => node.Name;

    private string Endpoint => node.Ssh.Port == 22 ? node.Address.ToString() : $"{node.Address}:{node.Ssh.Port.ToString(CultureInfo.InvariantCulture)}";

    private string HostKeyCheckScript => Path.Combine(runtimeDirectory, "host-key-check");

    /// <inheritdoc />
    public async Task<NodeCommandResult> RunAsync(string command, NodeCommandOptions? commandOptions = null, CancellationToken cancellationToken = default)
    {
        commandOptions ??= new NodeCommandOptions();
        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        var timeout = commandOptions.Timeout ?? options.DefaultCommandTimeout;
        var display = SecretRedactor.Redact(command, commandOptions.Secrets);
        var remote = Timeout.InfiniteTimeSpan == timeout ? command : WrapWithTimeout(command, timeout);
        var arguments = ClientArguments(master: false).Append("--").Append(remote);

        // The node kills the command at its timeout; the local limit is a backstop for a node that stopped answering.
        TimeSpan? localTimeout = Timeout.InfiniteTimeSpan == timeout ? null : timeout + options.ConnectTimeout + TimeSpan.FromSeconds(2);
        var result = await ProcessRunner.RunAsync("ssh", arguments, commandOptions.StandardInput ?? string.Empty, localTimeout, options.TimeProvider, cancellationToken).ConfigureAwait(false);
        var stdout = SecretRedactor.Redact(result.Stdout, commandOptions.Secrets);
        var stderr = SecretRedactor.Redact(result.Stderr, commandOptions.Secrets);
        if (result.TimedOut || (result.ExitCode == TimedOutExitCode && Timeout.InfiniteTimeSpan != timeout))
        {
            throw new NodeCommandTimeoutException(node.Name, display, timeout, stdout, stderr);
        }

        if (result.ExitCode == 255 && IsConnectionFailure(result.Stderr))
        {
            throw new NodeCommandFailedException(node.Name, display, result.ExitCode, stdout, stderr, $"Connection to node '{node.Name}' ({Endpoint}) failed while running a command.");
        }

        options.Logger.NodeCommandCompleted(node.Name, display, result.ExitCode, result.Duration);
        return new NodeCommandResult(node.Name, display, result.ExitCode, commandOptions.ReadsSecret && result.ExitCode == 0 ? result.Stdout : stdout, stderr, result.Duration);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await CloseMasterAsync().ConfigureAwait(false);
        connectLock.Dispose();
        try
        {
            Directory.Delete(runtimeDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A socket still being torn down; the directory is in the temporary area and holds no secret.
        }
    }

    // coreutils' timeout exits 124 when it had to stop the command; 137 when it had to kill it after the grace period.
    private const int TimedOutExitCode = 124;

    private static string WrapWithTimeout(string command, TimeSpan timeout)
    {
        var seconds = Math.Max(0.001, timeout.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);
        return $"exec timeout -k 2 {seconds}s sh -c {ShellQuote.Quote(command)}";
    }

    private static bool IsConnectionFailure(string stderr) =>
        stderr.Contains("Connection refused", StringComparison.Ordinal)
        || stderr.Contains("Connection timed out", StringComparison.Ordinal)
        || stderr.Contains("No route to host", StringComparison.Ordinal)
        || stderr.Contains("Network is unreachable", StringComparison.Ordinal)
        || stderr.Contains("Connection closed", StringComparison.Ordinal)
        || stderr.Contains("Host key verification failed", StringComparison.Ordinal);
}
