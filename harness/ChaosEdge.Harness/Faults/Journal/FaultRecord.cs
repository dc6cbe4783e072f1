namespace ChaosEdge.Faults.Journal;

/// <summary>Where a journalled fault stands.</summary>
public enum FaultState
{
    /// <summary>Written before the injection started: the fault may be partly applied.</summary>
    Injecting,

    /// <summary>Injected (and possibly verified); not yet restored.</summary>
    Applied,
}

/// <summary>
/// One fault as the journal keeps it: enough to undo it from another process after a crash.
/// </summary>
/// <param name="Id">Unique id; also names the fault's files and timers on the nodes.</param>
/// <param name="Kind">Which fault.</param>
/// <param name="Targets">The faulted nodes (for a partition: one side).</param>
/// <param name="Peers">For a partition: the other side; otherwise empty.</param>
/// <param name="Duration">How long the fault is meant to last; node-side timers restore it after this.</param>
/// <param name="InjectedAt">Wall-clock time the injection started (display and node-side timers only).</param>
/// <param name="State">Injecting or applied.</param>
public sealed record FaultRecord(string Id, FaultKind Kind, IReadOnlyList<string> Targets, IReadOnlyList<string> Peers, TimeSpan Duration, DateTimeOffset InjectedAt, FaultState State)
{
    /// <summary>When node-side timers restore the fault by themselves.</summary>
    public DateTimeOffset RestoreDueAt => InjectedAt + Duration;

    /// <summary>A new record with a fresh id.</summary>
    public static FaultRecord Create(FaultKind kind, IReadOnlyList<string> targets, IReadOnlyList<string> peers, TimeSpan duration, DateTimeOffset now) =>
        new($"{kind.ToString().ToLowerInvariant()}-{now:yyyyMMddHHmmss}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}", kind, targets, peers, duration, now, FaultState.Injecting);
}
