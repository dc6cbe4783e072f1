using ChaosEdge.Faults.Partition;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>After every suite: no fault is left applied anywhere on the lab.</summary>
[TestFixture]
[Category("Failover")]
[Category("Etcd")]
[Category("SplitBrain")]
[Category("Dns")]
[Category("Storage")]
[Category("Workload")]
[Category("Client")]
[Category("Campaign")]
[Order(99)]
public sealed class NoFaultLeftAfterFailoverAndOtherSuites
{
    [Test]
    public async Task After_the_scenarios_no_fault_is_left_applied_anywhere()
    {
        var environment = ScenarioRun.Lab.Environment;
        Assert.That(environment.Journal.Pending(), Is.Empty, $"The fault journal '{environment.Journal.Path}' still lists faults.");
        foreach (var node in environment.Inventory.Nodes)
        {
            var shell = environment.Shells[node.Name];
            var link = await shell.RunAsync($"ip -o link show {node.Interface}");
            Assert.That(link.Stdout, Does.Contain("UP"), $"NIC of '{node.Name}'");
            var tables = await shell.RunAsync("nft list tables");
            Assert.That(tables.Stdout, Does.Not.Contain(PartitionFault.Table), $"nftables of '{node.Name}'");
            var unit = node.Role == Inventory.NodeRole.Server ? "k3s" : "k3s-agent";
            Assert.That((await shell.RunAsync($"systemctl is-active {unit}")).Succeeded, Is.True, $"{unit} on '{node.Name}'");
            if (node.Bmc is not null)
            {
                Assert.That(await Faults.PowerOff.PowerControllers.For(node).IsOnAsync(), Is.True, $"power of '{node.Name}'");
            }
        }

        var first = environment.Inventory.EtcdMembers.First();
        var endpoints = string.Join(',', environment.Inventory.EtcdMembers.Select(s => $"https://{s.Address}:2379"));
        var health = await environment.Shells[first.Name].RunAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {Measurement.Probes.EtcdProbe.EtcdctlFlags(environment.Inventory)} --command-timeout=3s endpoint health 2>&1");
        Assert.That(health.Stdout.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)), Is.EqualTo(environment.Inventory.EtcdMembers.Count()), health.Stdout + health.Stderr);
        Assert.That(environment.Condition.IsDirty, Is.False, environment.Condition.DirtyReason);
    }
}
