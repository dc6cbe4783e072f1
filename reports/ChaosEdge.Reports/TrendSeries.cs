using System.Globalization;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Reports;

/// <summary>One judged metric in one nightly run: its value (the median of the night's trials), and each trial's value.</summary>
/// <param name="RunId">The nightly run.</param>
/// <param name="StartedAt">When it started (ISO 8601).</param>
/// <param name="Value">The night's value: the single run's, or the median of its trials.</param>
/// <param name="Limit">The threshold in the series' unit.</param>
/// <param name="Outcome">The night's verdict (over all its trials).</param>
/// <param name="Values">Every trial's value; <c>null</c> means the one <paramref name="Value"/>.</param>
public sealed record TrendPoint(string RunId, string StartedAt, double Value, double? Limit, string Outcome, IReadOnlyList<double>? Values = null)
{
    /// <summary>The night's values: each trial's, or the one value.</summary>
    public IReadOnlyList<double> Samples => Values ?? [Value];
}

/// <summary>One scenario's metric (probe + metric) over the nightly runs, oldest first, and whether its latest nights regressed.</summary>
public sealed record TrendSeries(string Scenario, string Probe, string Metric, string Unit, IReadOnlyList<TrendPoint> Points)
{
    /// <summary>The series' name as pages and the console show it: scenario, probe and metric.</summary>
    public string Name => $"{Scenario} {Probe} {Metric}";

    /// <summary>Values needed before the latest nights before they are compared with them: 3.</summary>
    public const int MinimumHistory = 3;

    /// <summary>The most latest nights pooled against the nights before them: 3.</summary>
    public const int MaximumRecentNights = 3;

    /// <summary>
    /// The family-wise p-value below which a shift counts: 0.05 over the three looks (k = 1, 2, 3), so each look is
    /// tested at 0.05 / 3 (Bonferroni). Without the correction one trial a night raised a false alarm on about 10 % of
    /// simulated histories over four nights; a +500 ms shift with six nights before it is still flagged by the third
    /// night (all three above all six: exact p = 1/84).
    /// </summary>
    public const double Significance = 0.05;

    /// <summary>The p-value each look is tested at: <see cref="Significance"/> / <see cref="MaximumRecentNights"/>.</summary>
    public const double PerLook = Significance / MaximumRecentNights;

    /// <summary>The least shift that counts: 100 ms, or 0.1 percentage points of availability.</summary>
    public double MinimumShift => Unit == "%" ? 0.1 : 100;

    /// <summary>
    /// Why the latest night is a regression, or null: it failed its verdict; or, for the latest k = 1, 2, 3 nights
    /// pooled against every night before them (at least <see cref="MinimumHistory"/> values), a one-sided
    /// Mann–Whitney U test finds them worse with p &lt; 0.05 / 3 (one look per k) and the Hodges–Lehmann shift is at least
    /// <see cref="MinimumShift"/>. The smallest such k is named.
    /// </summary>
    public string? Regression
    {
        get
        {
            if (Points.Count == 0)
            {
                return null;
            }

            var latest = Points[^1];
            if (latest.Outcome == "Fail")
            {
                return $"failed its SLA in run {latest.RunId}";
            }

            return Shift() is { } shift
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{(shift.Nights == 1 ? "the latest night" : $"the latest {shift.Nights} nights")} ({string.Join(", ", Points.Skip(Points.Count - shift.Nights).Select(p => p.RunId))}) {(shift.Nights == 1 ? "is" : "are")} worse than the {Points.Count - shift.Nights} before {(shift.Nights == 1 ? "it" : "them")} by {shift.Result.Shift:0.###} {(Unit == "%" ? "pp" : Unit)} (Hodges–Lehmann shift; one-sided Mann–Whitney p = {shift.Result.P:0.####}, k = {shift.Nights})")
                : null;
        }
    }

    /// <summary>
    /// The smallest k (latest nights) whose values are significantly and materially worse than the nights before them,
    /// with the test's result; its shift is positive in the worse direction (slower, or less available).
    /// </summary>
    public (int Nights, RankTestResult Result)? Shift()
    {
        // Worse is larger for times and smaller for availability: negate availability so one test serves both.
        var sign = Unit == "%" ? -1 : 1;
        for (var k = 1; k <= MaximumRecentNights && k < Points.Count; k++)
        {
            var before = Points.Take(Points.Count - k).SelectMany(p => p.Samples).Select(v => sign * v).ToList();
            var recent = Points.Skip(Points.Count - k).SelectMany(p => p.Samples).Select(v => sign * v).ToList();
            if (before.Count < MinimumHistory || recent.Count == 0)
            {
                continue;
            }

            var result = RankTest.Greater(recent, before);
            if (result.P < PerLook && result.Shift >= MinimumShift)
            {
                return (k, result);
            }
        }

        return null;
    }
}
