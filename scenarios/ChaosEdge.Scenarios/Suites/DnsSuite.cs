using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// Cluster DNS: the node hosting a CoreDNS replica loses power, first in K3s's default shape (1 replica), then in the
/// HA shape (3 replicas, required anti-affinity, a PodDisruptionBudget). Recovery time and failed-query ratio of the
/// DNS probes on the surviving nodes, side by side. With one replica DNS is gone until the node is declared NotReady
/// (node-monitor-grace-period), its pod is evicted (pod-eviction-timeout) and rescheduled — 40 s + 300 s with K3s's
/// defaults; the lab's timings are 8 s + 20 s. With three, only queries load-balanced to the dead replica fail, until
/// the endpoints drop it at the grace period.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Dns)]
[Order(4)]
public sealed class DnsSuite : ScenarioSuite
{
    protected override string Suite => ScenarioCatalog.Dns;

    [Test]
    [Order(1)]
    [Description("DNS, default shape")]
    public async Task With_K3s_default_single_DNS_replica_DNS_is_gone_until_the_pod_is_evicted_and_rescheduled() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("dns-default-shape")));

    [Test]
    [Order(2)]
    [Description("DNS, HA shape")]
    public async Task With_three_DNS_replicas_spread_across_nodes_DNS_survives_the_loss_of_a_node() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("dns-ha-shape")));

    private static void Report(ScenarioResult result)
    {
        foreach (var dns in result.Figures.Where(f => f.Probe.StartsWith("dns-", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine($"{result.Definition.Name} {dns.Probe}: recovery {(dns.TakeoverTime is { } t ? $"{t.TotalSeconds:0.000} s" : "-")}, failed queries {dns.Failures}/{dns.Samples} ({(1 - (dns.Availability ?? 1)) * 100:0.00} %), longest outage {dns.LongestOutage.TotalSeconds:0.000} s");
        }
    }
}
