using System.Globalization;
using System.Text.Json;

namespace ChaosEdge.Reports;

/// <summary>One lab's history: its nightly runs, oldest first, and its metric series (never mixed with another lab's).</summary>
/// <param name="Lab">The lab: its cluster's name, or the directory its runs were found in (see <see cref="FleetTrends.LabOf"/>).</param>
/// <param name="Page">The file name of its trend page, beside the index (<c>trends-SLUG.html</c>).</param>
/// <param name="Runs">Its nightly runs, oldest first; at least one.</param>
/// <param name="Series">Its metric series, from its runs alone.</param>
public sealed record LabTrends(string Lab, string Page, IReadOnlyList<HistoryRun> Runs, IReadOnlyList<TrendSeries> Series)
{
    /// <summary>The series whose latest night regressed (see <see cref="TrendSeries.Regression"/>).</summary>
    public IReadOnlyList<TrendSeries> Regressions { get; } = [.. Series.Where(s => s.Regression is not null)];

    /// <summary>The latest run's summary.</summary>
    public NightlySummary Latest => Runs[^1].Summary;

    /// <summary>When the latest run started, as <c>yyyy-MM-dd HH:mm zzz</c> (as written when it is not a timestamp).</summary>
    public string LatestAt =>
        DateTimeOffset.TryParse(Latest.StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture)
            : Latest.StartedAt;

    /// <summary>A run outcome as <c>nightly.json</c> spells it: <c>pass</c>, <c>fail</c>, <c>incomplete</c>, <c>running</c>.</summary>
    public static string Spelling(RunOutcome outcome) => JsonNamingPolicy.KebabCaseLower.ConvertName(outcome.ToString());
}
