using ChaosEdge.Errors;
using ChaosEdge.Processes;

namespace ChaosEdge.Ssh;

public sealed partial class OpenSshNodeShell
{
    /// <inheritdoc />
    public async Task UploadAsync(string localPath, string remotePath, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(localPath))
        {
            throw new ChaosEdgeException($"File '{localPath}' cannot be uploaded to node '{node.Name}': it does not exist.");
        }

        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        var arguments = CommonOptions();
        arguments.AddRange(["-P", node.Ssh.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "ControlMaster=no", "-o", "User=" + node.Ssh.User, "-b", "-", node.Address.ToString()]);
        var batch = $"put -p {SftpQuote(localPath)} {SftpQuote(remotePath)}\n";
        var result = await ProcessRunner.RunAsync("sftp", arguments, batch, options.DefaultCommandTimeout, options.TimeProvider, cancellationToken).ConfigureAwait(false);
        var display = $"sftp put '{localPath}' '{remotePath}'";
        if (result.TimedOut)
        {
            throw new NodeCommandTimeoutException(node.Name, display, options.DefaultCommandTimeout, result.Stdout, result.Stderr);
        }

        if (result.ExitCode != 0)
        {
            throw new NodeCommandFailedException(node.Name, display, result.ExitCode, result.Stdout, result.Stderr, $"Upload of '{localPath}' to node '{node.Name}' as '{remotePath}' failed.");
        }

        options.Logger.FileUploaded(node.Name, localPath, remotePath, result.Duration);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="remotePath"/> on the node with the given mode.</summary>
    public async Task UploadContentAsync(string content, string remotePath, UnixFileMode mode, CancellationToken cancellationToken = default)
    {
        var local = Path.Combine(runtimeDirectory, "upload-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(local, content, cancellationToken).ConfigureAwait(false);
        try
        {
            File.SetUnixFileMode(local, mode);
            await UploadAsync(local, remotePath, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(local);
        }
    }

    private static string SftpQuote(string path) => "\"" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
