namespace ChaosEdge.Errors;

/// <summary>The lab is reserved by another run (its Lease is held and renewed), and the wait for it ran out.</summary>
public sealed class LabReservedException(string lab, string holder, DateTimeOffset? since, string message) : ChaosEdgeException(message)
{
    /// <summary>The lab asked for.</summary>
    public string Lab { get; } = lab;

    /// <summary>The run holding it (the Lease's <c>holderIdentity</c>).</summary>
    public string Holder { get; } = holder;

    /// <summary>When that run acquired it (the Lease's <c>acquireTime</c>), when known.</summary>
    public DateTimeOffset? Since { get; } = since;
}
