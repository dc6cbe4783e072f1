using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Tests.Scenarios;

public sealed class ScenarioCatalogTests
{
    [Test]
    public void Every_scenario_has_its_own_entry_in_the_shipped_lab_SLA_and_the_agent_scenario_judges_the_workloads_recovery()
    {
        var sla = SlaLoader.Load(Path.Combine(TestContext.CurrentContext.TestDirectory, "sla", "lab-sla.yaml"));

        Assert.Multiple(() =>
        {
            foreach (var scenario in ScenarioCatalog.All)
            {
                Assert.That(sla.Scenarios.ContainsKey(scenario.Name), Is.True, $"'{scenario.Name}' has no entry of its own, so the defaults (no outage at all) would judge its fault");
            }

            Assert.That(sla.For("agent-power-off").Select(t => (t.Probe, t.Metric)), Does.Contain((ScenarioRunner.WorkloadProbeName, SlaMetric.Takeover)));
        });
    }

    [Test]
    public void The_agent_scenario_says_why_it_cannot_run_on_a_cluster_without_agents_and_runs_on_one_with_an_agent()
    {
        var scenario = ScenarioCatalog.Get("agent-power-off");
        var servers = Nodes(NodeRole.Server, NodeRole.Server, NodeRole.Server);
        var withAgent = Nodes(NodeRole.Server, NodeRole.Server, NodeRole.Server, NodeRole.Agent);

        Assert.Multiple(() =>
        {
            Assert.That(scenario.Suite, Is.EqualTo(ScenarioCatalog.Workload));
            Assert.That(scenario.Definition.Target, Is.EqualTo(TargetRole.WorkloadAgent));
            Assert.That(scenario.VirtualLabOnly, Is.False, "it runs on a configured lab that has agents");
            Assert.That(scenario.AgentsMissing(servers), Does.Contain("names no agents, it needs 1"));
            Assert.That(scenario.AgentsMissing(withAgent), Is.Null);
            Assert.That(ScenarioCatalog.Get("vip-holder-power-off").AgentsMissing(servers), Is.Null, "a scenario without agents needs none");
            Assert.That(ScenarioCatalog.Select("workload").Select(s => s.Name), Is.EqualTo(new[] { "agent-power-off" }));
        });
    }

    private static LabInventory Nodes(params NodeRole[] roles)
    {
        var text = new System.Text.StringBuilder("cluster:\n  name: t\n  runtime: lab\nnetwork:\n  subnet: 198.18.0.0/24\nnodes:\n");
        for (var i = 0; i < roles.Length; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - name: n{i + 1}\n    address: 198.18.0.{11 + i}\n    role: {roles[i].ToString().ToLowerInvariant()}\n    interface: eth0\n    ssh:\n      user: root\n      privateKey: id_ed25519\n      hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n");
        }

        text.Append("controlPlane:\n  vip: 198.18.0.100\nservices:\n  vipPool:\n    - 198.18.0.200-198.18.0.209\n");
        var directory = Directory.CreateTempSubdirectory("ce-catalog-").FullName;
        try
        {
            // Only the key file's existence is checked.
            File.WriteAllText(Path.Combine(directory, "id_ed25519"), "not a real key\n");
            return InventoryLoader.Parse(text.ToString(), "inventory.yaml", directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
