using System.Globalization;
using ChaosEdge.Measurement.Analysis;

namespace ChaosEdge.Measurement.Sla;

/// <summary>
/// Gives every threshold of a scenario a verdict from the figures. A figure is <see cref="SlaOutcome.Inconclusive"/> when
/// its probe has no samples in the window, when it missed more than 1 % of its samples (the harness, not the cluster,
/// failed), when a node-side probe's clock mapping is less certain than its resolution (times only), or when a time lies closer to the limit than the probe's resolution (one cadence interval); a time measured
/// as exactly zero (no failed sample, no duplicate owner) is a fact, not an estimate.
/// </summary>
public static class SlaJudge
{
    /// <summary>Share of missed samples above which a probe's figures are not trusted.</summary>
    public const double MaxMissedShare = 0.01;

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

        var missedShare = (double)figures.MissedSamples / (figures.Samples + figures.MissedSamples);
        if (missedShare > MaxMissedShare)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-",
                string.Create(CultureInfo.InvariantCulture, $"Probe '{threshold.Probe}' missed {figures.MissedSamples} of {figures.Samples + figures.MissedSamples} samples ({missedShare:P1}, more than {MaxMissedShare:P0}): the harness could not keep the cadence."));
        }

        if (figures.ClockError is { } clockError && clockError > figures.Resolution && threshold.Metric != SlaMetric.Availability)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, "-", "-",
                $"The node clock behind probe '{threshold.Probe}' is known only to within {Ms(clockError.TotalMilliseconds)}, more than its resolution {Ms(figures.Resolution.TotalMilliseconds)}.");
        }

        if (threshold.Metric == SlaMetric.Availability)
        {
            var value = figures.Availability!.Value;
            var margin = value - threshold.Limit;
            return new SlaVerdict(threshold, margin >= 0 ? SlaOutcome.Pass : SlaOutcome.Fail, Percent(value), Signed(margin * 100, " pp"),
                margin >= 0 ? string.Empty : $"Availability {Percent(value)} is below {threshold.Text}.");
        }

        TimeSpan? measured = threshold.Metric switch
        {
            SlaMetric.Takeover => figures.FaultTookEffect is null ? null : figures.TakeoverTime,
            SlaMetric.LongestOutage => figures.LongestOutage,
            SlaMetric.LatencyP99 => figures.Latency?.P99,
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
        var resolution = threshold.Metric == SlaMetric.LatencyP99 ? 0 : figures.Resolution.TotalMilliseconds;
        if (m > TimeSpan.Zero && Math.Abs(marginMs) < resolution)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, text, Signed(marginMs, " ms"),
                $"{text} is within the probe's resolution ({Ms(resolution)}) of the limit {threshold.Text}.");
        }

        return new SlaVerdict(threshold, marginMs >= 0 ? SlaOutcome.Pass : SlaOutcome.Fail, text, Signed(marginMs, " ms"),
            marginMs >= 0 ? string.Empty : $"{text} exceeds {threshold.Text}.");
    }

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Percent(double value) => (value * 100).ToString("0.000", CultureInfo.InvariantCulture) + " %";

    private static string Signed(double value, string unit) => (value >= 0 ? "+" : string.Empty) + value.ToString("0.0", CultureInfo.InvariantCulture) + unit;
}
