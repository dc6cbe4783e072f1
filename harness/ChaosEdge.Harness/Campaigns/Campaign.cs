using ChaosEdge.Errors;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Campaigns;

/// <summary>
/// A campaign: the scenarios one file declares (<see cref="CampaignLoader"/>), in the order a run takes them. The
/// shipped one, <see cref="Default"/>, is ChaosEdge's own catalog (<see cref="ScenarioCatalog.All"/>).
/// </summary>
/// <param name="Name">The campaign's <c>name:</c>.</param>
/// <param name="SourcePath">The file it was read from (for the default, its place in the repository).</param>
/// <param name="Scenarios">Its scenarios in file order; names are unique.</param>
public sealed record Campaign(string Name, string SourcePath, IReadOnlyList<CatalogScenario> Scenarios)
{
    /// <summary>The logical name of the embedded default campaign (<c>campaigns/default.yaml</c>).</summary>
    internal const string DefaultResource = "ChaosEdge.Campaigns.default.yaml";

    private static readonly Lazy<Campaign> DefaultCampaign = new(LoadDefault);

    /// <summary>The shipped default campaign, <c>campaigns/default.yaml</c>, embedded in the harness.</summary>
    public static Campaign Default => DefaultCampaign.Value;

    /// <summary>The distinct suite names of its scenarios, in file order.</summary>
    public IReadOnlyList<string> Suites => [.. Scenarios.Select(s => s.Suite).Distinct(StringComparer.Ordinal)];

    /// <summary>The scenario named <paramref name="name"/>.</summary>
    public CatalogScenario Get(string name) =>
        Scenarios.FirstOrDefault(s => s.Name == name) ?? throw new ChaosEdgeException($"There is no scenario '{name}'. Scenarios: {string.Join(", ", Scenarios.Select(s => s.Name))}.");

    /// <summary>
    /// The scenarios a filter selects, in file order: suite names and scenario names, comma-separated, case-insensitive
    /// (<c>Failover</c>, <c>Etcd,dns-ha-shape</c>); everything when empty.
    /// </summary>
    public IReadOnlyList<CatalogScenario> Select(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return Scenarios;
        }

        var suites = Suites;
        var terms = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = terms.Where(t => !suites.Contains(t, StringComparer.OrdinalIgnoreCase) && !Scenarios.Any(s => string.Equals(s.Name, t, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new ChaosEdgeException($"The filter names no suite or scenario '{string.Join("', '", unknown)}'. Suites: {string.Join(", ", suites)}; scenarios: {string.Join(", ", Scenarios.Select(s => s.Name))}.");
        }

        return [.. Scenarios.Where(s => terms.Any(t => string.Equals(t, s.Suite, StringComparison.OrdinalIgnoreCase) || string.Equals(t, s.Name, StringComparison.OrdinalIgnoreCase)))];
    }

    /// <summary>The campaign with every scenario run <paramref name="trials"/> times (<c>--trials N</c>), 1 to 100.</summary>
    public Campaign WithTrials(int trials)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trials, CampaignLoader.MaximumTrials);
        return this with { Scenarios = [.. Scenarios.Select(s => s with { Definition = s.Definition with { Trials = trials } })] };
    }

    private static Campaign LoadDefault()
    {
        using var stream = typeof(Campaign).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new ChaosEdgeException($"The default campaign '{DefaultResource}' is not embedded in {typeof(Campaign).Assembly.GetName().Name}; the build lost campaigns/default.yaml.");
        using var reader = new StreamReader(stream);
        return CampaignLoader.Parse(reader.ReadToEnd(), "campaigns/default.yaml");
    }
}
