namespace ChaosEdge.Measurement.Sla;

/// <summary>Whether a figure met its threshold.</summary>
public enum SlaOutcome
{
    Pass,
    Fail,

    /// <summary>The measurement cannot decide: missing samples, no data, or a value closer to the limit than the probe's resolution.</summary>
    Inconclusive,
}

/// <summary>The judgement of one figure against one threshold.</summary>
/// <param name="Threshold">The threshold, with where it was written.</param>
/// <param name="Outcome">Pass, fail or inconclusive.</param>
/// <param name="Measured">The figure as measured (<c>642 ms</c>, <c>99.95 %</c>), or <c>-</c>.</param>
/// <param name="Margin">How far inside (positive) or outside (negative) the limit: <c>+358 ms</c>.</param>
/// <param name="Reason">Why, in a sentence: always set for fail and inconclusive.</param>
public sealed record SlaVerdict(SlaThreshold Threshold, SlaOutcome Outcome, string Measured, string Margin, string Reason)
{
    /// <summary>One line for logs and failure messages: <c>FAIL vip-tcp Takeover 5408.7 ms (limit 5s)</c>.</summary>
    public string Summary => $"{Outcome.ToString().ToUpperInvariant()} {Threshold.Probe} {Threshold.Metric} {Measured} (limit {Threshold.Text})";
}
