using System.Globalization;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Secrets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace ChaosEdge.Ssh;

/// <summary>
/// A node shell on one SSH.NET connection per node: every command, output stream and upload is a channel on it, so a
/// command costs a channel, not a process or a handshake. The host key is verified against the inventory's pinned
/// fingerprint or its known_hosts file (plain and hashed entries); a mismatch is refused with both fingerprints shown.
/// A connection that drops is reported and re-established, with backoff, by the next call. A node may be reached
/// through a jump host (<see cref="SshSpec.JumpHost"/>).
/// </summary>
/// <remarks>
/// Every command runs under the node's coreutils <c>timeout</c>, in a process group of its own whose id it reports
/// first on standard error (the shell strips that line): the node ends the group at the command's timeout, and the shell
/// ends it (TERM, then KILL) over another channel when the caller cancels or stops streaming. SSH's own "signal"
/// request is not used: OpenSSH refuses it for sessions without privilege separation, which root's are. Secrets never
/// go on the command line the shell builds, and are masked wherever a command is shown.
/// </remarks>
public sealed partial class SshNodeShell : INodeShell
{
    // coreutils' timeout exits 124 when it had to stop the command.
    private const int TimedOutExitCode = 124;

    private readonly NodeSpec node;
    private readonly NodeShellOptions options;
    private readonly SemaphoreSlim connectLock = new(1, 1);
    private readonly SemaphoreSlim channels;
    private readonly SemaphoreSlim reservedChannel = new(1, 1);
    private readonly List<Task> endings = [];
    private NodeConnection? connection;
    private bool disposed;

    /// <summary>Creates a shell for <paramref name="node"/>; nothing is contacted until the first call.</summary>
    public SshNodeShell(NodeSpec node, NodeShellOptions? options = null)
    {
        this.node = node;
        this.options = options ?? new NodeShellOptions();
        this.options.Validate();
        // One channel is kept for ending commands, so that ending one never waits behind the others.
        channels = new SemaphoreSlim(this.options.MaxChannels - 1, this.options.MaxChannels - 1);
    }

    /// <inheritdoc />
    public string NodeName => node.Name;

    /// <summary>How many connections this shell has opened; more than one means it reconnected.</summary>
    public int Connections { get; private set; }

    private string Endpoint =>
        (node.Ssh.Port == 22 ? node.Address.ToString() : $"{node.Address}:{node.Ssh.Port.ToString(CultureInfo.InvariantCulture)}")
        + (node.Ssh.JumpHost is { } jump ? $" via {jump.Host}" : string.Empty);

    /// <inheritdoc />
    public async Task<NodeCommandResult> RunAsync(string command, NodeCommandOptions? commandOptions = null, CancellationToken cancellationToken = default)
    {
        commandOptions ??= new NodeCommandOptions();
        var timeout = commandOptions.Timeout ?? options.DefaultCommandTimeout;
        var display = SecretRedactor.Redact(command, commandOptions.Secrets);
        var input = commandOptions.StandardInput is { } text ? Encoding.UTF8.GetBytes(text) : null;
        var outcome = await ExecuteAsync(command, display, timeout, input is null ? null : new MemoryStream(input, writable: false), cancellationToken).ConfigureAwait(false);

        var stdout = SecretRedactor.Redact(outcome.Stdout, commandOptions.Secrets);
        var stderr = SecretRedactor.Redact(outcome.Stderr, commandOptions.Secrets);
        if (outcome.TimedOut)
        {
            throw new NodeCommandTimeoutException(node.Name, display, timeout, stdout, stderr);
        }

        options.Logger.NodeCommandCompleted(node.Name, display, outcome.ExitCode, outcome.Duration);
        return new NodeCommandResult(node.Name, display, outcome.ExitCode, commandOptions.ReadsSecret && outcome.ExitCode == 0 ? outcome.Stdout : stdout, stderr, outcome.Duration);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Task[] ending;
        lock (endings)
        {
            ending = [.. endings];
        }

        try
        {
            // Commands still being ended on their node (each bounded to a few seconds).
            await Task.WhenAll(ending).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Abandoned with the connection below.
        }

        await connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            // SSH.NET blocks while it closes a session: on a thread of its own, awaited.
            if (connection is { } last)
            {
                await Task.Factory.StartNew(last.Dispose, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }

            connection = null;
        }
        finally
        {
            connectLock.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on a channel, writes <paramref name="input"/> (then end of file) to it, and waits
    /// for its exit. The node kills the command at <paramref name="timeout"/>; a local limit a little later covers a node
    /// that stopped answering, whose connection is then dropped. Cancelling ends the command on the node.
    /// </summary>
    private async Task<Outcome> ExecuteAsync(string command, string display, TimeSpan timeout, Stream? input, CancellationToken cancellationToken, bool reserved = false)
    {
        var started = options.TimeProvider.GetTimestamp();
        var slots = reserved ? reservedChannel : channels;
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var handedOff = false;
        try
        {
            using var local = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var backstop = Timeout.InfiniteTimeSpan == timeout ? Timeout.InfiniteTimeSpan : timeout + options.ConnectTimeout + TimeSpan.FromSeconds(2);
            if (Timeout.InfiniteTimeSpan != backstop)
            {
                local.CancelAfter(backstop);
            }

            var running = await StartAsync(command, timeout, local.Token).ConfigureAwait(false);
            try
            {
                try
                {
                    await WriteInputAsync(running, input, local.Token).ConfigureAwait(false);
                    await running.Execution.WaitAsync(local.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    if (reserved)
                    {
                        running.Abandon();
                    }
                    else
                    {
                        // The caller goes on at once; the command is ended on the node in the background, and its
                        // channel is free once it has ended.
                        EndInBackground(running, slots);
                        handedOff = true;
                    }

                    throw;
                }
                catch (OperationCanceledException)
                {
                    // The local limit: the node did not answer within its own timeout and the grace after it. Its
                    // output is not read: a channel on a connection that stopped answering never ends.
                    Drop(running.Client, $"no answer to a command within {backstop:c}");
                    running.Abandon();
                    return new Outcome(-1, string.Empty, string.Empty, options.TimeProvider.GetElapsedTime(started), TimedOut: true);
                }
                catch (Exception e) when (IsConnectionFailure(e))
                {
                    Drop(running.Client, e.Message);
                    throw new NodeCommandFailedException(node.Name, display, 255, string.Empty, string.Empty, $"Connection to node '{node.Name}' ({Endpoint}) was lost while running a command: {e.Message}");
                }

                var stderr = await running.StderrAsync().ConfigureAwait(false);
                var exitCode = running.ExitCode;
                if (exitCode is null)
                {
                    Drop(running.Client, "a command's channel closed without an exit status");
                    throw new NodeCommandFailedException(node.Name, display, 255, running.Command.Result, stderr, $"Connection to node '{node.Name}' ({Endpoint}) was lost while running a command.");
                }

                var timedOut = exitCode == TimedOutExitCode && Timeout.InfiniteTimeSpan != timeout;
                return new Outcome(exitCode.Value, running.Command.Result, stderr, options.TimeProvider.GetElapsedTime(started), timedOut);
            }
            finally
            {
                if (!handedOff)
                {
                    running.Dispose();
                }
            }
        }
        finally
        {
            if (!handedOff)
            {
                slots.Release();
            }

            if (input is not null)
            {
                await input.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens a channel and starts the command on it. A connection found broken while starting (the node rebooted, its
    /// network came back) is replaced once: the command had not started on it.
    /// </summary>
    private async Task<RunningCommand> StartAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var remote = Wrap(command, timeout);
        for (var attempt = 1; ; attempt++)
        {
            var client = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            SshCommand? ssh = null;
            try
            {
                ssh = client.CreateCommand(remote);
                var current = ssh;

                // Opening the channel blocks until the node confirms it (SSH.NET is synchronous underneath), so it
                // runs on a thread of its own, not the caller's and not a pool thread. Cancellation is the shell's own
                // (EndOnNodeAsync): SSH.NET's sends a signal, which OpenSSH refuses for sessions it runs without
                // privilege separation (root's).
                var execution = await Task.Factory.StartNew(() => current.ExecuteAsync(CancellationToken.None), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                return new RunningCommand(client, ssh, execution);
            }
            catch (Exception e) when (attempt == 1 && IsConnectionFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                ssh?.Dispose();
                Drop(client, e.Message);
            }
            catch
            {
                ssh?.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Ends <paramref name="running"/> on the node without holding up the caller, then disposes it and frees its
    /// channel (<paramref name="slot"/>). <see cref="DisposeAsync"/> waits for what is still ending.
    /// </summary>
    private void EndInBackground(RunningCommand running, SemaphoreSlim slot)
    {
        var ending = Task.Run(async () =>
        {
            try
            {
                await EndOnNodeAsync(running).ConfigureAwait(false);
            }
            finally
            {
                running.Dispose();
                slot.Release();
            }
        });
        lock (endings)
        {
            endings.RemoveAll(t => t.IsCompleted);
            endings.Add(ending);
        }
    }

    /// <summary>
    /// Ends a command that is still running: TERM to its process group on the node, over another channel, and KILL two
    /// seconds later if it is still there; then stops waiting for it. On a connection already known to be lost there is
    /// no one to tell: the command is only abandoned (a node that lost power has no command left anyway).
    /// </summary>
    private async Task EndOnNodeAsync(RunningCommand running)
    {
        if (running.Execution.IsCompleted)
        {
            return;
        }

        var usable = Volatile.Read(ref connection) is { IsUsable: true } current && ReferenceEquals(current.Client, running.Client);
        if (usable && await running.ProcessGroupAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false) is { } group)
        {
            var id = group.ToString(CultureInfo.InvariantCulture);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await ExecuteAsync($"kill -TERM -{id} 2>/dev/null; (sleep 2; kill -KILL -{id}) >/dev/null 2>&1 </dev/null &", $"end process group {id}", TimeSpan.FromSeconds(2), null, limit.Token, reserved: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NodeCommandFailedException or ChaosEdgeException or OperationCanceledException)
            {
                // The node is gone or unreachable; the command's own timeout, if any, still ends it there.
            }
        }

        try
        {
            await running.Execution.WaitAsync(TimeSpan.FromSeconds(usable ? 3 : 0.1)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException || IsConnectionFailure(e))
        {
            running.Abandon();
        }
    }

    /// <summary>
    /// Writes <paramref name="input"/> to the command, then ends its standard input (as a local shell with no input
    /// would). SSH.NET's input stream blocks its writer while the channel's window is full: the copy has a thread of its
    /// own.
    /// </summary>
    private static Task WriteInputAsync(RunningCommand running, Stream? input, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () =>
            {
                Stream stdin;
                try
                {
                    stdin = running.Command.CreateInputStream();
                }
                catch (InvalidOperationException) when (running.Execution.IsCompleted)
                {
                    // The command ended before its input was given, as a local one may; what it did not read is lost.
                    return;
                }

                try
                {
                    using (stdin)
                    {
                        var buffer = new byte[32 * 1024];
                        int read;
                        while (input is not null && (read = input.Read(buffer)) > 0)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            stdin.Write(buffer, 0, read);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException && running.Execution.IsCompleted)
                {
                    // The command ended without reading all of its input.
                }
            },
            cancellationToken,
            input is null ? TaskCreationOptions.None : TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    /// <summary>
    /// The command as the node runs it: its process-group id on standard error first (so that it can be ended), then
    /// under coreutils' <c>timeout</c> (0 for none), which runs it in that process group and ends the whole group at the
    /// timeout.
    /// </summary>
    private static string Wrap(string command, TimeSpan timeout)
    {
        var seconds = Timeout.InfiniteTimeSpan == timeout ? "0" : Math.Max(0.001, timeout.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);
        return $"echo {RunningCommand.GroupMarker}$$ >&2; exec timeout -k 2 {seconds}s sh -c {ShellQuote.Quote(command)}";
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is SshConnectionException or SshOperationTimeoutException or System.Net.Sockets.SocketException or ObjectDisposedException;

    private sealed record Outcome(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, bool TimedOut);
}
