namespace ChaosEdge.Errors;

/// <summary>A fault could not be injected, did not take effect, or was refused (blast-radius guard).</summary>
public sealed class FaultInjectionException : ChaosEdgeException
{
    public FaultInjectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
