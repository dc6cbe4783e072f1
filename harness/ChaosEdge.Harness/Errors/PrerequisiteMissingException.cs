namespace ChaosEdge.Errors;

/// <summary>Something the host must provide (root, a package, a kernel feature) is missing.</summary>
public sealed class PrerequisiteMissingException : ChaosEdgeException
{
    public PrerequisiteMissingException(string message)
        : base(message)
    {
    }
}
