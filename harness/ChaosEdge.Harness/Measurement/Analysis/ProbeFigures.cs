namespace ChaosEdge.Measurement.Analysis;

/// <summary>What one probe measured in one window. Every time figure is only as fine as <see cref="Resolution"/>.</summary>
public sealed record ProbeFigures
{
    public required string Probe { get; init; }

    /// <summary>The probe's cadence: a sampled instant is known to within one interval.</summary>
    public required TimeSpan Resolution { get; init; }

    public required TimeSpan WindowStart { get; init; }

    public required TimeSpan WindowEnd { get; init; }

    public required int Samples { get; init; }

    public required int Failures { get; init; }

    /// <summary>Samples the cadence called for between the window's first and last sample but the probe did not take.</summary>
    public required int MissedSamples { get; init; }

    /// <summary>
    /// The longest time between two consecutive samples in the window: where samples were missed, an instant is known
    /// only to within this, not to within <see cref="Resolution"/>.
    /// </summary>
    public TimeSpan LargestGap { get; init; }

    /// <summary>How finely this probe's times are known: its cadence, or the largest gap between its samples if wider.</summary>
    public TimeSpan Uncertainty => LargestGap > Resolution ? LargestGap : Resolution;

    /// <summary>Successful samples over all samples, 0–1; <c>null</c> without samples.</summary>
    public double? Availability => Samples == 0 ? null : (double)(Samples - Failures) / Samples;

    public required IReadOnlyList<OutageWindow> Outages { get; init; }

    public TimeSpan LongestOutage => Outages.Count == 0 ? TimeSpan.Zero : Outages.Max(o => o.Duration);

    /// <summary>When a fault took effect in the window: its offset from the timeline's start.</summary>
    public TimeSpan? FaultTookEffect { get; init; }

    /// <summary>
    /// From the fault taking effect to the answer of the first success followed by a sustained run of successes (a
    /// success counts from when it was answered, not from when it was sent); <c>null</c> without
    /// a fault, or when the probe had not recovered by the end of the window (see <see cref="Recovered"/>).
    /// </summary>
    public TimeSpan? TakeoverTime { get; init; }

    public bool Recovered { get; init; } = true;

    /// <summary>Failed samples by outcome (<c>Timeout</c>, <c>Refused</c>, <c>HTTP 500</c>, <c>rcode 2</c>).</summary>
    public required IReadOnlyDictionary<string, int> Errors { get; init; }

    /// <summary>Latency of successful samples; <c>null</c> without any.</summary>
    public LatencyFigures? Latency { get; init; }

    /// <summary>For ownership probes: how long two or more nodes held the address at once.</summary>
    public TimeSpan? DuplicateOwnerTime { get; init; }

    /// <summary>
    /// For ownership probes: the least duplicate-owner time the samples allow (each time with two owners lasted at
    /// least from its first to its last sample showing them).
    /// </summary>
    public TimeSpan? DuplicateOwnerLeast { get; init; }

    /// <summary>
    /// For ownership probes: the most duplicate-owner time the samples allow (each time with two owners may have begun
    /// right after the sample before it).
    /// </summary>
    public TimeSpan? DuplicateOwnerMost { get; init; }

    /// <summary>For ownership probes: how often the set of owners changed.</summary>
    public int? OwnerChanges { get; init; }

    /// <summary>For node-side probes: the error bound of mapping the node's clock onto the harness's.</summary>
    public TimeSpan? ClockError { get; init; }

    /// <summary>For the etcd probe: how often the leader changed (to another member or to none).</summary>
    public int? LeaderChanges { get; init; }
}

/// <summary>Latency percentiles of the successful samples.</summary>
public sealed record LatencyFigures(TimeSpan P50, TimeSpan P90, TimeSpan P99, TimeSpan Max);
