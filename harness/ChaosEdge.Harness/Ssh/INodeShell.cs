namespace ChaosEdge.Ssh;

/// <summary>
/// A shell on one node: how the harness runs commands, copies files and streams node-side output, on hardware and on
/// the virtual lab alike. Implementations reuse one authenticated connection for all calls.
/// </summary>
public interface INodeShell : IAsyncDisposable
{
    /// <summary>The node's name, as in the inventory.</summary>
    string NodeName { get; }

    /// <summary>Opens (or re-opens) the connection, verifying the host key; retried on transient errors.</summary>
    Task ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="command"/> with <c>sh</c> on the node and returns its exit code and output, whatever the exit code.</summary>
    /// <exception cref="Errors.NodeCommandTimeoutException">The command did not finish within its timeout.</exception>
    Task<NodeCommandResult> RunAsync(string command, NodeCommandOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Copies a local file to <paramref name="remotePath"/> on the node over SFTP.</summary>
    Task UploadAsync(string localPath, string remotePath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a long command and yields each line of its standard output as it arrives. Ending the enumeration (or
    /// cancelling) ends the command. A non-zero exit ends the enumeration with <see cref="Errors.NodeCommandFailedException"/>.
    /// </summary>
    IAsyncEnumerable<string> StreamLinesAsync(string command, NodeCommandOptions? options = null, CancellationToken cancellationToken = default);
}
