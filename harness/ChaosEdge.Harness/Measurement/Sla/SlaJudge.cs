using System.Globalization;
using ChaosEdge.Measurement.Analysis;

namespace ChaosEdge.Measurement.Sla;

/// <summary>
/// Gives every threshold of a scenario a verdict from the figures, and a verdict only where the measurement's own
/// uncertainty cannot change it. A figure is <see cref="SlaOutcome.Inconclusive"/> when its probe has no samples in
/// the window; when a node-side probe's clock mapping is less certain than its resolution (times only); when a time
/// lies closer to the limit than the probe's uncertainty (its cadence, or the largest gap between its samples where
/// the harness missed some); or when an availability's limit lies between the values the missed samples allow (all
/// failed, all succeeded). A time measured as exactly zero (no failed sample, no duplicate owner) is a fact, not an
/// estimate. Missed samples are reported with every verdict they affect.
/// </summary>
public static class SlaJudge
{
    public static IReadOnlyList<SlaVerdict> Judge(SlaDocument sla, string scenario, IReadOnlyList<ProbeFigures> figures)
    {
        ArgumentNullException.ThrowIfNull(sla);
        ArgumentNullException.ThrowIfNull(figures);
        return [.. sla.For(scenario).Select(t => Judge(t, figures.FirstOrDefault(f => f.Probe == t.Probe)))];
    }

    private static SlaVerdict Judge(SlaThreshold threshold, ProbeFigures? figures)
    {
        if (figures is null || figures.Samples == 0)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-", $"Probe '{threshold.Probe}' has no samples in this window.");
        }

        var missedNote = figures.MissedSamples == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture,
            $" The harness missed {figures.MissedSamples} of {figures.Samples + figures.MissedSamples} samples (largest gap {Ms(figures.LargestGap.TotalMilliseconds)}).");
        if (figures.ClockError is { } clockError && clockError > figures.Resolution && threshold.Metric != SlaMetric.Availability)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-",
                $"The node clock behind probe '{threshold.Probe}' is known only to within {Ms(clockError.TotalMilliseconds)}, more than its resolution {Ms(figures.Resolution.TotalMilliseconds)}.");
        }

        if (threshold.Metric == SlaMetric.Availability)
        {
            var value = figures.Availability!.Value;
            var margin = value - threshold.Limit;
            var slots = figures.Samples + figures.MissedSamples;
            var lowest = (double)(figures.Samples - figures.Failures) / slots;
            var highest = (double)(figures.Samples - figures.Failures + figures.MissedSamples) / slots;
            if (lowest < threshold.Limit && highest >= threshold.Limit)
            {
                return new SlaVerdict(threshold, SlaOutcome.Inconclusive, Percent(value), Signed(margin * 100, " pp"),
                    $"With the missed samples the availability lies between {Percent(lowest)} and {Percent(highest)}, either side of {threshold.Text}.{missedNote}");
            }

            return new SlaVerdict(threshold, margin >= 0 ? SlaOutcome.Pass : SlaOutcome.Fail, Percent(value), Signed(margin * 100, " pp"),
                (margin >= 0 ? string.Empty : $"Availability {Percent(value)} is below {threshold.Text}.") + missedNote);
        }

        TimeSpan? measured = threshold.Metric switch
        {
            SlaMetric.Takeover => figures.FaultTookEffect is null ? null : figures.TakeoverTime,
            SlaMetric.LongestOutage => figures.LongestOutage,
            SlaMetric.LatencyP99 => figures.Latency?.P99,
            SlaMetric.LatencyMax => figures.Latency?.Max,
            SlaMetric.DuplicateOwner => figures.DuplicateOwnerTime,
            _ => null,
        };

        if (threshold.Metric == SlaMetric.Takeover && figures.FaultTookEffect is not null && !figures.Recovered)
        {
            return new SlaVerdict(threshold, SlaOutcome.Fail, "not recovered", "-", $"Probe '{threshold.Probe}' had not recovered by the end of the window.");
        }

        if (measured is not { } m)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-", $"Probe '{threshold.Probe}' has no {threshold.Metric} figure in this window (no fault marked, or no such measurement).");
        }

        var marginMs = threshold.Limit - m.TotalMilliseconds;
        var text = Ms(m.TotalMilliseconds);
        var uncertainty = threshold.Metric is SlaMetric.LatencyP99 or SlaMetric.LatencyMax ? 0 : figures.Uncertainty.TotalMilliseconds;
        if (m > TimeSpan.Zero && Math.Abs(marginMs) < uncertainty)
        {
            var what = figures.LargestGap > figures.Resolution ? "the largest gap between its samples" : "the probe's resolution";
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, text, Signed(marginMs, " ms"),
                $"{text} is within {what} ({Ms(uncertainty)}) of the limit {threshold.Text}.{missedNote}");
        }

        return new SlaVerdict(threshold, marginMs >= 0 ? SlaOutcome.Pass : SlaOutcome.Fail, text, Signed(marginMs, " ms"),
            (marginMs >= 0 ? string.Empty : $"{text} exceeds {threshold.Text}.") + missedNote);
    }

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Percent(double value) => (value * 100).ToString("0.000", CultureInfo.InvariantCulture) + " %";

    private static string Signed(double value, string unit) => (value >= 0 ? "+" : string.Empty) + value.ToString("0.0", CultureInfo.InvariantCulture) + unit;
}
