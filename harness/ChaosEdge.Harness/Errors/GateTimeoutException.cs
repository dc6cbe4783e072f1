namespace ChaosEdge.Errors;

/// <summary>A condition was not met in time: names the resource, the condition and the timeout.</summary>
public sealed class GateTimeoutException : ChaosEdgeException
{
    public GateTimeoutException(string resource, string condition, TimeSpan timeout, string? lastObservation = null)
        : base($"{resource} did not {condition} within {timeout:c}." + (lastObservation is null ? string.Empty : $" Last observation: {lastObservation}"))
    {
        Resource = resource;
        Condition = condition;
        Timeout = timeout;
    }

    public string Resource { get; }

    public string Condition { get; }

    public TimeSpan Timeout { get; }
}
