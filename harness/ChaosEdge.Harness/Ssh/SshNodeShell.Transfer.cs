using System.Globalization;
using System.Text;
using ChaosEdge.Errors;

namespace ChaosEdge.Ssh;

public sealed partial class SshNodeShell
{
    /// <inheritdoc />
    public async Task UploadAsync(string localPath, string remotePath, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(localPath))
        {
            throw new ChaosEdgeException($"File '{localPath}' cannot be uploaded to node '{node.Name}': it does not exist.");
        }

        var mode = File.GetUnixFileMode(localPath);
        var source = File.OpenRead(localPath);
        await UploadStreamAsync(source, remotePath, mode, $"'{localPath}'", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="remotePath"/> on the node with the given mode.</summary>
    public Task UploadContentAsync(string content, string remotePath, UnixFileMode mode, CancellationToken cancellationToken = default) =>
        UploadStreamAsync(new MemoryStream(Encoding.UTF8.GetBytes(content), writable: false), remotePath, mode, "content", cancellationToken);

    /// <summary>
    /// Streams <paramref name="source"/> to the node on a channel of the node's connection (no second connection, no
    /// SFTP server needed): written to a temporary file beside <paramref name="remotePath"/>, checked for its length,
    /// given its mode, then renamed over the target, so the target is never seen half-written.
    /// </summary>
    private async Task UploadStreamAsync(Stream source, string remotePath, UnixFileMode mode, string what, CancellationToken cancellationToken)
    {
        var length = source.Length;
        var slash = remotePath.LastIndexOf('/');
        var directory = slash switch { < 0 => ".", 0 => "/", _ => remotePath[..slash] };
        var octal = Convert.ToString((int)mode & 0x1FF, 8);
        var script =
            $"umask 077; t=$(mktemp {ShellQuote.Quote(directory)}/.ce-upload.XXXXXX) || exit 1; " +
            $"if cat > \"$t\" && [ \"$(wc -c < \"$t\")\" -eq {length.ToString(CultureInfo.InvariantCulture)} ] && chmod {octal} \"$t\" && mv -f \"$t\" {ShellQuote.Quote(remotePath)}; then exit 0; fi; " +
            "rm -f \"$t\"; exit 1";
        var display = $"upload {what} to '{remotePath}'";
        var outcome = await ExecuteAsync(script, display, options.DefaultCommandTimeout, source, cancellationToken).ConfigureAwait(false);
        if (outcome.TimedOut)
        {
            throw new NodeCommandTimeoutException(node.Name, display, options.DefaultCommandTimeout, outcome.Stdout, outcome.Stderr);
        }

        if (outcome.ExitCode != 0)
        {
            throw new NodeCommandFailedException(node.Name, display, outcome.ExitCode, outcome.Stdout, outcome.Stderr, $"Upload of {what} to node '{node.Name}' as '{remotePath}' failed.");
        }

        options.Logger.FileUploaded(node.Name, what, remotePath, outcome.Duration);
    }
}
