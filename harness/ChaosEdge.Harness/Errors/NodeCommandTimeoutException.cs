namespace ChaosEdge.Errors;

/// <summary>A node command did not finish within its timeout; it was killed on the node and locally.</summary>
public sealed class NodeCommandTimeoutException : NodeCommandFailedException
{
    public NodeCommandTimeoutException(string node, string command, TimeSpan timeout, string stdout, string stderr)
        : base(node, command, -1, stdout, stderr, $"Command on node '{node}' did not finish within {timeout:c}.")
    {
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }
}
