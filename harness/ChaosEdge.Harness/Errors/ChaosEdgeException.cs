namespace ChaosEdge.Errors;

/// <summary>Base of every error ChaosEdge raises on purpose. Messages are sentences with quoted values.</summary>
public class ChaosEdgeException : Exception
{
    public ChaosEdgeException(string message)
        : base(message)
    {
    }

    public ChaosEdgeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
