using System.Globalization;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;

namespace ChaosEdge.Measurement.Sla;

/// <summary>
/// Gives every threshold of a scenario a verdict from the figures, and a verdict only where the measurement's own
/// uncertainty cannot change it. A figure is <see cref="SlaOutcome.Inconclusive"/> when its probe has no samples in
/// the window; when a node-side probe's clock mapping is less certain than its resolution (times only); when the limit
/// lies between the least and the most the samples allow; or when an availability's limit lies between the values the
/// missed samples allow (all failed, all succeeded). The longest outage is bounded by its own neighbouring samples —
/// it began after the success before it and lasted at least from its first to its last failed sample — so a harness
/// that missed samples elsewhere in the window does not blur it; so is the time two nodes owned the VIP. A takeover
/// time is known to within the probe's cadence, or the largest gap between its samples where the harness missed some.
/// A time measured as exactly zero (no failed sample, no duplicate owner) is a fact, not an estimate. Missed samples
/// are reported with every verdict they affect.
/// </summary>
public static class SlaJudge
{
    /// <param name="sla">The SLA file's thresholds.</param>
    /// <param name="scenario">The scenario judged.</param>
    /// <param name="figures">The figures of its probes.</param>
    /// <param name="shape">What holds the control-plane VIP (<see cref="SlaDocument.Shapes"/>), for entries written for one shape.</param>
    public static IReadOnlyList<SlaVerdict> Judge(SlaDocument sla, string scenario, IReadOnlyList<ProbeFigures> figures, string? shape = null)
    {
        ArgumentNullException.ThrowIfNull(sla);
        ArgumentNullException.ThrowIfNull(figures);
        return [.. sla.For(scenario, shape).SelectMany(t => Expand(t, figures))];
    }

    /// <summary>
    /// A threshold for one probe, or for every probe a pattern (<c>dns-*</c>) names — each judged on its own, as a
    /// threshold of its own name; a pattern that names no probe gets one inconclusive verdict.
    /// </summary>
    private static IEnumerable<SlaVerdict> Expand(SlaThreshold threshold, IReadOnlyList<ProbeFigures> figures)
    {
        if (!ProbePattern.IsPattern(threshold.Probe))
        {
            return [Judge(threshold, figures.FirstOrDefault(f => f.Probe == threshold.Probe))];
        }

        var matching = figures.Where(f => ProbePattern.Matches(threshold.Probe, f.Probe)).ToList();
        return matching.Count == 0
            ? [new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-", $"No probe matches '{threshold.Probe}' in this window.")]
            : matching.Select(f => Judge(threshold with { Probe = f.Probe }, f));
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

        var measured = TimeOf(figures, threshold.Metric);

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
        // A failed sample (or a sample with two owners) proves the figure is above zero, however briefly.
        if (m > TimeSpan.Zero && Bounds(threshold.Metric, figures) is var (least, most) && Max(least, TimeSpan.FromTicks(1)).TotalMilliseconds <= threshold.Limit && most.TotalMilliseconds > threshold.Limit)
        {
            var what = threshold.Metric switch
            {
                SlaMetric.LongestOutage => "by the samples either side of the outage",
                SlaMetric.DuplicateOwner => "by the samples either side of each time with two owners",
                _ => figures.LargestGap > figures.Resolution ? "by the largest gap between its samples" : "by the probe's resolution",
            };
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, text, Signed(marginMs, " ms"),
                $"{text} is known only to lie between {Ms(least.TotalMilliseconds)} and {Ms(most.TotalMilliseconds)} ({what}), either side of the limit {threshold.Text}.{missedNote}");
        }

        return new SlaVerdict(threshold, marginMs >= 0 ? SlaOutcome.Pass : SlaOutcome.Fail, text, Signed(marginMs, " ms"),
            (marginMs >= 0 ? string.Empty : $"{text} exceeds {threshold.Text}.") + missedNote);
    }

    /// <summary>
    /// The time figure <paramref name="metric"/> bounds in <paramref name="figures"/>, or null where there is none (a
    /// takeover without a fault taking effect, no latency, no duplicate-owner measurement; availability is no time). The
    /// one definition of what a metric means, for the verdicts and for the statistics over trials.
    /// </summary>
    public static TimeSpan? TimeOf(ProbeFigures figures, SlaMetric metric)
    {
        ArgumentNullException.ThrowIfNull(figures);
        return metric switch
        {
            SlaMetric.Takeover => figures.FaultTookEffect is null ? null : figures.TakeoverTime,
            SlaMetric.LongestOutage => figures.LongestOutage,
            SlaMetric.LatencyP99 => figures.Latency?.P99,
            SlaMetric.LatencyMax => figures.Latency?.Max,
            SlaMetric.DuplicateOwner => figures.DuplicateOwnerTime,
            _ => null,
        };
    }

    /// <summary>The least and the most a time figure can be, given where the probe's samples fell; null for latencies (measured directly).</summary>
    private static (TimeSpan Least, TimeSpan Most)? Bounds(SlaMetric metric, ProbeFigures figures)
    {
        switch (metric)
        {
            case SlaMetric.LongestOutage when figures.Outages.Count > 0:
                // Either side of an outage the probe's own cadence is the least uncertainty there is.
                var resolution = figures.Resolution;
                var least = figures.Outages.Max(o => o.Duration > Max(o.EndedEarlierBy, resolution) ? o.Duration - Max(o.EndedEarlierBy, resolution) : TimeSpan.Zero);
                var most = figures.Outages.Max(o => o.Duration + Max(o.StartedEarlierBy, resolution));
                return (least, most);
            case SlaMetric.DuplicateOwner when figures is { DuplicateOwnerTime: { } time, DuplicateOwnerLeast: { } shortest, DuplicateOwnerMost: { } longest }:
                return (Min(shortest, time), Max(longest, time));
            case SlaMetric.Takeover when figures.TakeoverTime is { } takeover:
                var uncertainty = figures.Uncertainty;
                return (takeover > uncertainty ? takeover - uncertainty : TimeSpan.Zero, takeover + uncertainty);
            case SlaMetric.LongestOutage or SlaMetric.DuplicateOwner:
                var fallback = figures.Uncertainty;
                var value = metric == SlaMetric.LongestOutage ? figures.LongestOutage : figures.DuplicateOwnerTime ?? TimeSpan.Zero;
                return (value > fallback ? value - fallback : TimeSpan.Zero, value + fallback);
            default:
                return null;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Percent(double value) => (value * 100).ToString("0.000", CultureInfo.InvariantCulture) + " %";

    private static string Signed(double value, string unit) => (value >= 0 ? "+" : string.Empty) + value.ToString("0.0", CultureInfo.InvariantCulture) + unit;
}
