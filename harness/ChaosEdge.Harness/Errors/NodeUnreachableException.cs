namespace ChaosEdge.Errors;

/// <summary>A node could not be reached over SSH after all connection attempts.</summary>
public sealed class NodeUnreachableException : ChaosEdgeException
{
    public NodeUnreachableException(string node, string endpoint, int attempts, string lastError)
        : base($"Node '{node}' ({endpoint}) could not be reached over SSH after {attempts} attempts. Last error: {lastError}")
    {
        Node = node;
    }

    public string Node { get; }
}
