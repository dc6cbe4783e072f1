using System.Globalization;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;

namespace ChaosEdge.Measurement.Trials;

/// <summary>The figure an SLA metric bounds, as a number: what <see cref="SlaJudge"/> compares with the limit.</summary>
public static class MetricValue
{
    /// <summary>
    /// The figure <paramref name="metric"/> names in <paramref name="figures"/>: milliseconds for times, percent (0–100)
    /// for availability; <c>null</c> where <see cref="SlaJudge"/> has none — a probe without samples, a takeover without
    /// a fault taking effect or without recovery, no latency, no duplicate-owner measurement.
    /// </summary>
    public static double? Of(ProbeFigures? figures, SlaMetric metric)
    {
        if (figures is null || figures.Samples == 0)
        {
            return null;
        }

        return metric == SlaMetric.Availability ? figures.Availability * 100 : SlaJudge.TimeOf(figures, metric)?.TotalMilliseconds;
    }

    /// <summary>A value in its unit as verdicts write it: <c>3012.4 ms</c>, <c>99.950 %</c>, <c>+0.120 pp</c>.</summary>
    public static string Format(double value, string unit) =>
        value.ToString(unit == "ms" ? "0.0" : "0.000", CultureInfo.InvariantCulture) + " " + unit;

    /// <summary>The unit <see cref="Of"/> gives <paramref name="metric"/> in: <c>%</c> for availability, else <c>ms</c>.</summary>
    public static string Unit(SlaMetric metric) => metric == SlaMetric.Availability ? "%" : "ms";

    /// <summary>Whether a higher value is better: availability is a minimum, every other metric a maximum.</summary>
    public static bool HigherIsBetter(SlaMetric metric) => metric == SlaMetric.Availability;

    /// <summary>A threshold's limit in the unit of <see cref="Of"/>: availability's fraction as percent, times as they are.</summary>
    public static double Limit(SlaThreshold threshold)
    {
        ArgumentNullException.ThrowIfNull(threshold);
        return threshold.Metric == SlaMetric.Availability ? threshold.Limit * 100 : threshold.Limit;
    }
}
