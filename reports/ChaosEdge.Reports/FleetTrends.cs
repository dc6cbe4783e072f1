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
        var labs = HistoryRun.Find(history).GroupBy(r => LabOf(history, r), StringComparer.Ordinal).ToList();
        var pages = Pages(labs.Select(l => l.Key));
        return [.. labs.Select(l => new LabTrends(l.Key, pages[l.Key], [.. l], TrendReport.Read(l)))
            .OrderByDescending(l => l.Regressions.Count > 0)
            .ThenByDescending(l => l.Latest.Outcome != RunOutcome.Pass)
            .ThenBy(l => l.Lab, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The lab a run belongs to: its <c>lab.cluster</c> (the inventory's cluster name); without a <c>lab</c> block (the
    /// run could not open its lab), the directory directly under <paramref name="history"/> that holds it, or
    /// <see cref="UnnamedLab"/> when it lies in <paramref name="history"/> itself.
    /// </summary>
    public static string LabOf(string history, HistoryRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Summary.Lab?.Cluster is { } cluster && !string.IsNullOrWhiteSpace(cluster))
        {
            return cluster;
        }

        var parts = Path.GetRelativePath(history, run.Path).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return parts.Length > 1 ? parts[0] : UnnamedLab;
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
