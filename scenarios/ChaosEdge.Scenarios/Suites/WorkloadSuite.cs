using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// Workload: an agent (worker) running a replica of the sample workload loses power. Its loss moves pods, not the VIP:
/// the node grace period declares it NotReady, the eviction timeout evicts its pods, and the replicas start and turn
/// Ready elsewhere (<c>workload-ready</c>); meanwhile clients of the service VIP lose only the connections balanced to
/// the dead replica, or the VIP itself for memberlist's detection when the agent announced it. On the built-in lab the
/// suite has a lab of its own, 3 servers and an agent; a configured lab runs it when its inventory names an agent.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Workload)]
[Order(7)]
public sealed class WorkloadSuite : ScenarioSuite
{
    private ScenarioLab? withAgents;

    protected override string Suite => ScenarioCatalog.Workload;

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        if (withAgents is not null)
        {
            await withAgents.DisposeAsync();
        }
    }

    [Test]
    [Description("Agent power-off")]
    public async Task Power_off_of_an_agent_running_the_sample_workload_moves_its_replicas_and_the_service_VIP_serves_within_the_SLA()
    {
        var scenario = ScenarioCatalog.Get("agent-power-off");
        var lab = ScenarioRun.Lab;
        if (lab.IsVirtual)
        {
            withAgents ??= await ScenarioLab.OpenWithAgentsAsync("cesa", scenario.LabAgents, ScenarioRun.Output);
            lab = withAgents;
        }
        else if (scenario.AgentsMissing(lab.Environment.Inventory) is { } missing)
        {
            Assert.Ignore(missing);
        }

        var result = await RunAsync(lab, scenario);
        var target = lab.Environment.Inventory.Node(result.Target.Single());
        Assert.That(target.Role, Is.EqualTo(Inventory.NodeRole.Agent), "the scenario faulted an agent");
        var workload = result.Figures.Single(f => f.Probe == ScenarioRunner.WorkloadProbeName);
        Assert.That(workload.TakeoverTime, Is.GreaterThan(lab.Environment.Inventory.Cluster.NodeMonitorGracePeriod),
            "the replicas were Ready elsewhere only after Kubernetes noticed the node was gone (the grace period) — a shorter time would mean the probe counted the dead node's replica");
    }
}
