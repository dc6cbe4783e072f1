using ChaosEdge.Campaigns;

namespace ChaosEdge.Scenarios.Catalog;

/// <summary>
/// Every scenario ChaosEdge runs, by suite, in the order a run takes them: Failover, Etcd, SplitBrain, Dns, Storage, Workload, Client. Each
/// scenario's name is its key in the SLA file. The scenarios are the default campaign's (<c>campaigns/default.yaml</c>).
/// </summary>
public static class ScenarioCatalog
{
    public const string Failover = "Failover";
    public const string Etcd = "Etcd";
    public const string SplitBrain = "SplitBrain";
    public const string Dns = "Dns";
    public const string Storage = "Storage";
    public const string Workload = "Workload";
    public const string Client = "Client";

    /// <summary>The suites in run order.</summary>
    public static IReadOnlyList<string> Suites { get; } = [Failover, Etcd, SplitBrain, Dns, Storage, Workload, Client];

    /// <summary>Every scenario of the shipped default campaign, <c>campaigns/default.yaml</c> (<see cref="Campaign.Default"/>).</summary>
    public static IReadOnlyList<CatalogScenario> All => Campaign.Default.Scenarios;

    /// <summary>The scenario named <paramref name="name"/>.</summary>
    public static CatalogScenario Get(string name) => Campaign.Default.Get(name);

    /// <summary>
    /// The scenarios a filter selects, in run order: suite names and scenario names, comma-separated, case-insensitive
    /// (<c>Failover</c>, <c>Etcd,dns-ha-shape</c>); everything when empty.
    /// </summary>
    public static IReadOnlyList<CatalogScenario> Select(string? filter) => Campaign.Default.Select(filter);
}
