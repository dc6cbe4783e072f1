namespace ChaosEdge.Errors;

/// <summary>A fault could not be restored, or its restore could not be verified; the journal still lists it.</summary>
public sealed class FaultRevertException : ChaosEdgeException
{
    public FaultRevertException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
