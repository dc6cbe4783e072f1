using ChaosEdge.Errors;

namespace ChaosEdge.Reports;

/// <summary>What <see cref="TrendPages.WriteAsync"/> did.</summary>
/// <param name="Lines">The lines to print: per lab its metrics, runs and regressions, each regression, and where the page is.</param>
/// <param name="Files">The pages written (full paths): the page or the index first, then the labs' pages.</param>
/// <param name="Regressed">Whether the latest run of any lab regressed.</param>
public sealed record TrendPagesWritten(IReadOnlyList<string> Lines, IReadOnlyList<string> Files, bool Regressed);

/// <summary>
/// The work of <c>chaosedge trends</c>: reads a history directory and writes its trend pages (making the page's directory when it is missing). With one lab in the
/// history that is one trend page at the given path; with several, the path is the fleet's index page
/// (<see cref="FleetIndex"/>) and each lab's trend page is written beside it under its <see cref="LabTrends.Page"/> name.
/// </summary>
public static class TrendPages
{
    /// <summary>
    /// Writes the trend page, or the index and every lab's page, for the runs under <paramref name="history"/>.
    /// Throws a <see cref="ChaosEdgeException"/> when no run under it has a metric, or when a lab's page would
    /// overwrite the index.
    /// </summary>
    public static async Task<TrendPagesWritten> WriteAsync(string history, string path, CancellationToken cancellationToken = default)
    {
        var labs = FleetTrends.Read(history);
        if (labs.Sum(l => l.Series.Count) == 0)
        {
            throw new ChaosEdgeException($"No nightly run (nightly.json with its run records) under '{history}'.");
        }

        var index = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(index)!);
        if (labs is [var only])
        {
            var series = only.Series;
            await File.WriteAllTextAsync(index, TrendReport.Render(series), cancellationToken).ConfigureAwait(false);
            return new(
                [$"{series.Count} metrics over {series.Max(s => s.Points.Count)} runs; {only.Regressions.Count} regression(s).",
                 .. only.Regressions.Select(r => $"  REGRESSION {r.Name}: {r.Regression}"),
                 $"Trend page: {index}"],
                [index],
                only.Regressions.Count > 0);
        }

        var pages = labs.Select(l => Path.Combine(Path.GetDirectoryName(index)!, l.Page)).ToList();
        if (labs.Zip(pages).FirstOrDefault(l => string.Equals(l.Second, index, StringComparison.OrdinalIgnoreCase)).First is { } clash)
        {
            throw new ChaosEdgeException($"The index '{path}' has the name of lab '{clash.Lab}''s trend page; give the index another name.");
        }

        foreach (var (lab, page) in labs.Zip(pages))
        {
            await File.WriteAllTextAsync(page, TrendReport.Render(lab.Series), cancellationToken).ConfigureAwait(false);
        }

        await File.WriteAllTextAsync(index, FleetIndex.Render(labs), cancellationToken).ConfigureAwait(false);
        return new(
            [.. labs.Select(l => $"{l.Lab}: {l.Series.Count} metrics over {l.Runs.Count} runs; {l.Regressions.Count} regression(s); latest run {LabTrends.Spelling(l.Latest.Outcome)} at {l.LatestAt}"),
             .. labs.SelectMany(l => l.Regressions.Select(r => $"  {l.Lab}: REGRESSION {r.Name}: {r.Regression}")),
             $"Trend index: {index} ({labs.Count} labs; each lab's page beside it)"],
            [index, .. pages],
            labs.Any(l => l.Regressions.Count > 0));
    }
}
