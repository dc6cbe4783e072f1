using ChaosEdge.Faults;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

/// <summary>
/// Split-brain: a 2-node cluster partitioned into two halves (each node alone; etcd has no quorum on either side, so
/// API unavailability on both sides is the expected degradation, not a failure), with writers on both sides; and a
/// 1-vs-2 partition of the 3-node cluster. Duplicate VIP ownership is measured and judged by the SLA; after the heal
/// nothing acknowledged may be lost and no conflicting writes may have been acknowledged.
/// </summary>
[TestFixture]
[Category("SplitBrain")]
[Order(3)]
public sealed class SplitBrainSuite : ScenarioSuite
{
    private ScenarioLab? twoNodes;

    protected override string Suite => "SplitBrain";

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        if (twoNodes is not null)
        {
            await twoNodes.DisposeAsync();
        }
    }

    [Test]
    [Description("2-node split-brain")]
    public async Task A_partitioned_two_node_cluster_acknowledges_no_conflicting_writes_and_converges_after_the_heal()
    {
        if (ScenarioLab.ConfiguredInventory is not null)
        {
            Assert.Ignore("The 2-node split-brain runs on the built-in virtual lab; a configured lab is used as it is.");
        }

        twoNodes ??= await ScenarioLab.OpenAsync("cesb", 2, ScenarioRun.Output);
        var environment = twoNodes.Environment;
        var markers = new WriteMarkers(environment.KubeConfig, environment.Inventory.Nodes.ToDictionary(n => n.Name, n => new Uri($"https://{n.Address}:6443")), environment.Time)
        {
            DetectConflicts = true,
        };
        var result = await RunAsync(twoNodes, new ScenarioDefinition
        {
            Name = "two-node-split-brain", Fault = FaultKind.Partition, Target = TargetRole.VipHolder, QuorumLossIntended = true,
            MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = [],
        }, markers);
        Assert.That(result.Notes, Has.Some.Contains("0 acknowledged writes lost"));
    }

    [Test]
    [Description("1-vs-2 partition")]
    public async Task A_non_holder_cut_off_from_the_other_two_leaves_the_majority_serving()
    {
        var result = await RunAsync(ScenarioRun.Lab, new ScenarioDefinition
        {
            Name = "one-vs-two-partition", Fault = FaultKind.Partition, Target = TargetRole.NonHolder, MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(15),
        }, Markers());
        Assert.That(result.Notes, Has.Some.Contains("0 acknowledged writes lost"));
    }

    private static WriteMarkers Markers() =>
        new(ScenarioRun.Lab.Environment.KubeConfig, new Dictionary<string, Uri> { ["vip"] = ScenarioRun.Lab.Environment.KubeConfig.Server }, ScenarioRun.Lab.Environment.Time);
}
