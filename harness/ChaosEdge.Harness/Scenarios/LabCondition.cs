namespace ChaosEdge.Scenarios;

/// <summary>
/// Whether a lab may take more destructive scenarios. A scenario whose recovery gate fails marks the lab dirty; every
/// later scenario then refuses to start, with the reason.
/// </summary>
public sealed class LabCondition
{
    private readonly Lock gate = new();
    private string? dirtyReason;

    public bool IsDirty
    {
        get
        {
            lock (gate)
            {
                return dirtyReason is not null;
            }
        }
    }

    public string? DirtyReason
    {
        get
        {
            lock (gate)
            {
                return dirtyReason;
            }
        }
    }

    public void MarkDirty(string reason)
    {
        lock (gate)
        {
            dirtyReason ??= reason;
        }
    }

    /// <exception cref="Errors.ChaosEdgeException">The lab is dirty.</exception>
    public void EnsureClean(string scenario)
    {
        if (DirtyReason is { } reason)
        {
            throw new Errors.ChaosEdgeException($"Scenario '{scenario}' cannot run: the lab is dirty — {reason}");
        }
    }
}
