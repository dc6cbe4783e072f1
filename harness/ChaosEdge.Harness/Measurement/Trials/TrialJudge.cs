using System.Globalization;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;

namespace ChaosEdge.Measurement.Trials;

/// <summary>
/// Judges each threshold over a scenario's repeated trials. One trial keeps its own verdict, so a one-trial run is
/// judged exactly as before. With more, the verdict is bounded by the 95 % confidence interval of the mean: a maximum
/// passes when the whole interval lies at or below the limit and fails when it lies wholly above it (a minimum, i.e.
/// availability, the mirror); an interval either side of the limit is inconclusive, since more trials would narrow it.
/// A trial that never recovered fails the threshold outright — there is no figure to average, and no mean can excuse it.
/// </summary>
public static class TrialJudge
{
    /// <summary>The verdict text a trial that never recovered carries as its measured figure (<see cref="SlaJudge"/>).</summary>
    public const string NotRecovered = "not recovered";

    /// <param name="trials">Each trial's figures and verdicts, in trial order.</param>
    /// <returns>One metric per threshold (probe + metric) in the trials' verdicts, in the order first seen.</returns>
    public static IReadOnlyList<TrialMetric> Judge(IReadOnlyList<(IReadOnlyList<ProbeFigures> Figures, IReadOnlyList<SlaVerdict> Verdicts)> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var keys = new List<(string Probe, SlaMetric Metric, SlaThreshold Threshold)>();
        foreach (var verdict in trials.SelectMany(t => t.Verdicts))
        {
            if (!keys.Exists(k => k.Probe == verdict.Threshold.Probe && k.Metric == verdict.Threshold.Metric))
            {
                keys.Add((verdict.Threshold.Probe, verdict.Threshold.Metric, verdict.Threshold));
            }
        }

        return [.. keys.Select(k => JudgeOne(k.Threshold, trials))];
    }

    private static TrialMetric JudgeOne(SlaThreshold threshold, IReadOnlyList<(IReadOnlyList<ProbeFigures> Figures, IReadOnlyList<SlaVerdict> Verdicts)> trials)
    {
        var verdicts = trials.Select(t => t.Verdicts.FirstOrDefault(v => v.Threshold.Probe == threshold.Probe && v.Threshold.Metric == threshold.Metric)).ToList();
        var values = trials.Select(t => MetricValue.Of(t.Figures.FirstOrDefault(f => f.Probe == threshold.Probe), threshold.Metric)).ToList();
        var outcomes = verdicts.Select(v => v?.Outcome ?? SlaOutcome.Inconclusive).ToList();
        // The interval of a time cannot reach below zero, nor an availability above 100 %: cut there (a t interval is
        // symmetric, the quantity is not); which side decides PASS and FAIL is unchanged.
        var statistics = TrialStatistics.Of(values.OfType<double>()) is { } raw
            ? MetricValue.HigherIsBetter(threshold.Metric)
                ? raw with { CiHigh = raw.CiHigh is { } h ? Math.Min(h, 100) : null }
                : raw with { CiLow = raw.CiLow is { } l ? Math.Max(l, 0) : null }
            : null;
        if (trials.Count == 1 && verdicts[0] is { } only)
        {
            return new TrialMetric(threshold, values, outcomes, statistics, only);
        }

        return new TrialMetric(threshold, values, outcomes, statistics, Verdict(threshold, verdicts, values.Count(v => v is not null), statistics));
    }

    private static SlaVerdict Verdict(SlaThreshold threshold, List<SlaVerdict?> verdicts, int withValue, TrialStatistics? statistics)
    {
        var unit = MetricValue.Unit(threshold.Metric);
        var notRecovered = verdicts.Select((v, i) => (v, Trial: i + 1)).Where(x => x.v?.Measured == NotRecovered).Select(x => x.Trial).ToList();
        if (notRecovered.Count > 0)
        {
            return new SlaVerdict(threshold, SlaOutcome.Fail, NotRecovered, "-", string.Create(CultureInfo.InvariantCulture,
                $"Probe '{threshold.Probe}' had not recovered by the end of the window in trial{(notRecovered.Count == 1 ? string.Empty : "s")} {string.Join(", ", notRecovered)} of {verdicts.Count}."));
        }

        // A trial that measured nothing is not left out quietly: the interval would speak for trials it did not see.
        if (withValue < verdicts.Count && withValue > 0)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, statistics is null ? "-" : MetricValue.Format(statistics.Mean, unit), "-", string.Create(CultureInfo.InvariantCulture,
                $"Only {withValue} of {verdicts.Count} trials have a {threshold.Metric} figure for probe '{threshold.Probe}'; a bound over the trials needs every trial's."));
        }

        if (statistics is not { CiLow: { } low, CiHigh: { } high } s)
        {
            return new SlaVerdict(threshold, SlaOutcome.Inconclusive, statistics is null ? "-" : MetricValue.Format(statistics.Mean, unit), "-", string.Create(CultureInfo.InvariantCulture,
                $"Only {withValue} of {verdicts.Count} trials have a {threshold.Metric} figure for probe '{threshold.Probe}'; a confidence interval needs at least 2."));
        }

        var limit = MetricValue.Limit(threshold);
        var higherIsBetter = MetricValue.HigherIsBetter(threshold.Metric);
        var measured = string.Create(CultureInfo.InvariantCulture, $"mean {MetricValue.Format(s.Mean, unit)}, 95 % CI [{MetricValue.Format(low, unit)}, {MetricValue.Format(high, unit)}], n {s.N}");
        var interval = $"the 95 % confidence interval of the mean [{MetricValue.Format(low, unit)}, {MetricValue.Format(high, unit)}]";
        var (pass, fail, margin) = higherIsBetter ? (low >= limit, high < limit, low - limit) : (high <= limit, low > limit, limit - high);
        var marginText = (margin >= 0 ? "+" : string.Empty) + MetricValue.Format(margin, unit == "%" ? "pp" : unit);
        if (pass)
        {
            return new SlaVerdict(threshold, SlaOutcome.Pass, measured, marginText,
                $"{Capital(interval)} lies {(higherIsBetter ? "at or above" : "at or below")} the limit {threshold.Text}.");
        }

        return fail
            ? new SlaVerdict(threshold, SlaOutcome.Fail, measured, marginText, $"{Capital(interval)} lies {(higherIsBetter ? "below" : "above")} the limit {threshold.Text}.")
            : new SlaVerdict(threshold, SlaOutcome.Inconclusive, measured, marginText, $"{Capital(interval)} straddles the limit {threshold.Text}; more trials would narrow it.");
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
