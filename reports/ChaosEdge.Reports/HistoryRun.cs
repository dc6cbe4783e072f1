namespace ChaosEdge.Reports;

/// <summary>A nightly run found in a history directory: its <c>nightly.json</c> and what it says.</summary>
/// <param name="Path">The <c>nightly.json</c>; the run records it names are relative to its directory.</param>
/// <param name="Summary">The summary read from it.</param>
public sealed record HistoryRun(string Path, NightlySummary Summary)
{
    /// <summary>
    /// Every <c>nightly.json</c> under <paramref name="history"/> (any depth) that is a ChaosEdge nightly summary,
    /// oldest first (by when it started); other files of that name are skipped.
    /// </summary>
    public static IReadOnlyList<HistoryRun> Find(string history) =>
        [.. Directory.EnumerateFiles(history, "nightly.json", SearchOption.AllDirectories)
            .Select(path => NightlySummary.TryRead(path) is { } summary ? new HistoryRun(path, summary) : null)
            .OfType<HistoryRun>()
            .OrderBy(r => r.Summary.StartedAt, StringComparer.Ordinal)];
}
