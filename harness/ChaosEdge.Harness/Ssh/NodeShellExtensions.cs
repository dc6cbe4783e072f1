namespace ChaosEdge.Ssh;

/// <summary>Conveniences over <see cref="INodeShell"/>.</summary>
public static class NodeShellExtensions
{
    /// <summary>Runs a command and throws <see cref="Errors.NodeCommandFailedException"/> unless it exits 0.</summary>
    public static async Task<NodeCommandResult> RunCheckedAsync(this INodeShell shell, string command, NodeCommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await shell.RunAsync(command, options, cancellationToken).ConfigureAwait(false);
        return result.EnsureSuccess();
    }
}
