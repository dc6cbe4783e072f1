namespace ChaosEdge.Reports;

/// <summary>
/// Trends over many labs' nights: the runs under a history directory grouped by lab, each lab with its own series
/// (a metric of one lab never trends with another's), in the index's order — labs whose latest run regressed first,
/// then those whose latest run did not pass, then the rest by name (ordinal).
/// </summary>
public static class FleetTrends
{
    /// <summary>The lab of a run without a <c>lab</c> block found directly in the history directory.</summary>
    public const string UnnamedLab = "(unnamed lab)";

    /// <summary>Reads every <c>nightly.json</c> under <paramref name="history"/> (any depth), one entry per lab, in the index's order.</summary>
    public static IReadOnlyList<LabTrends> Read(string history)
    {
        var runs = HistoryRun.Find(history);
        var named = runs.Where(r => Named(r) is not null).ToList();
        var everyLab = named.Select(r => Named(r)!).Distinct(StringComparer.Ordinal).ToList();
        var byFolder = named.GroupBy(r => TopFolder(history, r), StringComparer.Ordinal)
            .Select(g => (Folder: g.Key, Labs: g.Select(r => Named(r)!).Distinct(StringComparer.Ordinal).ToList()))
            .Where(g => g.Folder is not null && g.Labs.Count == 1)
            .ToDictionary(g => g.Folder!, g => g.Labs[0], StringComparer.Ordinal);

        // A run that could not open its lab has no lab block: it belongs to the lab its folder's other runs name
        // (DIR/LAB/NIGHT), or in one lab's history of a folder per night (DIR/NIGHT) to that lab, so a failed night
        // stays in its lab's row instead of making a row of its own.
        var folderPerNight = everyLab.Count == 1 && named.GroupBy(r => TopFolder(history, r), StringComparer.Ordinal).All(g => g.Count() == 1);
        string Lab(HistoryRun run) =>
            Named(run) ?? (TopFolder(history, run) is { } folder && byFolder.TryGetValue(folder, out var lab) ? lab : folderPerNight ? everyLab[0] : LabOf(history, run));
        var labs = runs.GroupBy(Lab, StringComparer.Ordinal).ToList();
        var pages = Pages(labs.Select(l => l.Key));
        return [.. labs.Select(l => new LabTrends(l.Key, pages[l.Key], [.. l], TrendReport.Read(l)))
            .OrderByDescending(l => l.Regressions.Count > 0)
            .ThenByDescending(l => l.Latest.Outcome != RunOutcome.Pass)
            .ThenBy(l => l.Lab, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The lab a run names: its <c>lab.cluster</c> (the inventory's cluster name); without a <c>lab</c> block (the run
    /// could not open its lab), the directory directly under <paramref name="history"/> that holds it, or
    /// <see cref="UnnamedLab"/> when it lies in <paramref name="history"/> itself. (<see cref="Read"/> first gives such a
    /// run to the one lab its folder's other runs name, or in a one-lab history of a folder per night to that lab.)
    /// </summary>
    public static string LabOf(string history, HistoryRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Named(run) ?? TopFolder(history, run) ?? UnnamedLab;
    }

    private static string? Named(HistoryRun run) => run.Summary.Lab?.Cluster is { } cluster && !string.IsNullOrWhiteSpace(cluster) ? cluster : null;

    private static string? TopFolder(string history, HistoryRun run)
    {
        var parts = Path.GetRelativePath(history, run.Path).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return parts.Length > 1 ? parts[0] : null;
    }

    /// <summary>
    /// Each lab's page file name, <c>trends-SLUG.html</c>: the name lower-cased, every character but a-z, 0-9 and '-'
    /// made a '-', the ends trimmed of '-'; a slug already taken (labs in ordinal order) gets <c>-2</c>, <c>-3</c>, ….
    /// </summary>
    internal static IReadOnlyDictionary<string, string> Pages(IEnumerable<string> labs)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var lab in labs.Order(StringComparer.Ordinal))
        {
            var slug = new string([.. lab.Select(c => char.ToLowerInvariant(c) is var l && (l is (>= 'a' and <= 'z') or (>= '0' and <= '9')) ? l : '-')]).Trim('-');
            slug = slug.Length == 0 ? "lab" : slug;
            var unique = slug;
            for (var n = 2; !taken.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }

            pages[lab] = $"trends-{unique}.html";
        }

        return pages;
    }
}
