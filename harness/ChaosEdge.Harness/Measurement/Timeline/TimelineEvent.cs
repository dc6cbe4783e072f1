namespace ChaosEdge.Measurement.Timeline;

/// <summary>What happened at an instant of a run, besides samples.</summary>
public enum TimelineEventKind
{
    /// <summary>The harness started injecting a fault.</summary>
    FaultInjected,

    /// <summary>The fault is verified to be in effect; takeover and recovery times are measured from here.</summary>
    FaultTookEffect,

    /// <summary>The harness started restoring the fault.</summary>
    FaultRestored,

    /// <summary>The restore is verified.</summary>
    RestoreVerified,

    /// <summary>The etcd leader changed.</summary>
    LeaderChanged,

    /// <summary>Anything else worth a marker (a mark set by hand, a phase of the scenario).</summary>
    Note,
}

/// <summary>An event on the timeline, stamped on the same clock as the samples.</summary>
/// <param name="Timestamp">A <see cref="TimeProvider.GetTimestamp"/> value of the run's clock.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Subject">What it happened to: a fault and its target (<c>keepalived-stop edge-1</c>), a member.</param>
/// <param name="Detail">Free text for people; never a secret.</param>
public sealed record TimelineEvent(long Timestamp, TimelineEventKind Kind, string Subject, string? Detail = null);
