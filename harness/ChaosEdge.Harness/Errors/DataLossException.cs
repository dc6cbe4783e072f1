namespace ChaosEdge.Errors;

/// <summary>A workload's check after recovery found acknowledged writes lost, or conflicting writes acknowledged.</summary>
public sealed class DataLossException : ChaosEdgeException
{
    public DataLossException(string message)
        : base(message)
    {
    }
}
