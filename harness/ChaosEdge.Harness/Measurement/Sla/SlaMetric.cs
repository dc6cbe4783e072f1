namespace ChaosEdge.Measurement.Sla;

/// <summary>A figure an SLA can bound, how it is written, and which way is good.</summary>
public enum SlaMetric
{
    /// <summary><c>takeover</c>: takeover / recovery time after the fault, a maximum (<c>5s</c>, <c>800ms</c>).</summary>
    Takeover,

    /// <summary><c>longestOutage</c>: the longest outage in the window, a maximum.</summary>
    LongestOutage,

    /// <summary><c>availability</c>: successful samples over all, a minimum (<c>99.9%</c>).</summary>
    Availability,

    /// <summary><c>latencyP99</c>: 99th percentile latency of successful samples, a maximum.</summary>
    LatencyP99,

    /// <summary><c>duplicateOwner</c>: time two nodes held the VIP at once, a maximum.</summary>
    DuplicateOwner,

    /// <summary><c>latencyMax</c>: the slowest successful sample, a maximum — for the volume probe, the longest I/O stall.</summary>
    LatencyMax,
}

/// <summary>One threshold from the SLA file, with where it was written.</summary>
/// <param name="Probe">The probe it bounds (<c>vip-tcp</c>).</param>
/// <param name="Metric">The figure.</param>
/// <param name="Limit">Milliseconds for times; a fraction 0–1 for availability.</param>
/// <param name="Text">As written in the file (<c>5s</c>, <c>99.9%</c>), for reports.</param>
/// <param name="Source">Where it was written: <c>sla.yaml:12:15</c>.</param>
/// <param name="Entry">The SLA file's entry it belongs to: <c>default</c>, a scenario, or <c>scenario@shape</c>.</param>
public sealed record SlaThreshold(string Probe, SlaMetric Metric, double Limit, string Text, string Source, string Entry = "");

/// <summary>The thresholds of an SLA file: per scenario, with <c>default</c> for scenarios without their own.</summary>
public sealed record SlaDocument(string SourcePath, IReadOnlyDictionary<string, IReadOnlyList<SlaThreshold>> Scenarios)
{
    public const string DefaultScenario = "default";

    /// <summary>
    /// The thresholds that apply to <paramref name="scenario"/> on a cluster of <paramref name="shape"/>: the entry for
    /// both (<c>scenario@shape</c>) when there is one, else the scenario's own when the file has an entry for it, else the
    /// defaults. Defaults describe a healthy cluster (no outage at all); a fault scenario's entry says what that
    /// fault may cost instead, so the two are not mixed.
    /// </summary>
    public IReadOnlyList<SlaThreshold> For(string scenario, string? shape = null) =>
        (shape is null ? null : Scenarios.GetValueOrDefault($"{scenario}@{shape}")) ?? Scenarios.GetValueOrDefault(scenario) ?? Scenarios.GetValueOrDefault(DefaultScenario) ?? [];

    /// <summary>
    /// The shapes an entry can be written for (<c>vip-holder-power-off@kube-vip</c>): what holds the control-plane VIP,
    /// as <see cref="Inventory.LabInventory.ControlPlaneVipShape"/> names it. Such an entry replaces the scenario's own
    /// for clusters of that shape.
    /// </summary>
    public static readonly IReadOnlyList<string> Shapes = ["keepalived", "kube-vip", "keepalived-haproxy"];

    /// <summary>
    /// This document with <paramref name="scenario"/> judged by <paramref name="thresholds"/> alone, on every shape: a
    /// campaign scenario's own <c>sla:</c> block replaces the SLA file's entries for it.
    /// </summary>
    public SlaDocument WithScenario(string scenario, IReadOnlyList<SlaThreshold> thresholds, string source)
    {
        var entries = Scenarios.Where(e => e.Key != scenario && !e.Key.StartsWith(scenario + "@", StringComparison.Ordinal)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        entries[scenario] = thresholds;
        return new SlaDocument($"{SourcePath} and {source}", entries);
    }
}
