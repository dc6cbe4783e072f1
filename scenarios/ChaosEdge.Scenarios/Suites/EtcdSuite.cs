using ChaosEdge.Faults;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

/// <summary>
/// Etcd: a follower's and the leader's member is removed and wiped, then rejoins fresh; write markers go through the
/// VIP before, during and after, and every acknowledged one must be there after recovery.
/// </summary>
[TestFixture]
[Category("Etcd")]
[Order(2)]
public sealed class EtcdSuite : ScenarioSuite
{
    protected override string Suite => "Etcd";

    [Test]
    [Description("etcd follower member loss")]
    public async Task Losing_an_etcd_follower_keeps_writes_available_and_loses_no_acknowledged_write()
    {
        var result = await RunAsync(ScenarioRun.Lab, new ScenarioDefinition { Name = "etcd-follower-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdFollower, MaximumHold = TimeSpan.FromSeconds(12) }, Markers());
        Assert.That(result.Notes, Has.Some.Contains("0 acknowledged writes lost"));
    }

    [Test]
    [Description("etcd leader member loss")]
    public async Task Losing_the_etcd_leader_elects_a_new_one_and_loses_no_acknowledged_write()
    {
        var result = await RunAsync(ScenarioRun.Lab, new ScenarioDefinition { Name = "etcd-leader-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdLeader, MaximumHold = TimeSpan.FromSeconds(12) }, Markers());
        Assert.That(result.Notes, Has.Some.Contains("0 acknowledged writes lost"));
    }

    private static WriteMarkers Markers() =>
        new(ScenarioRun.Lab.Environment.KubeConfig, new Dictionary<string, Uri> { ["vip"] = ScenarioRun.Lab.Environment.KubeConfig.Server }, ScenarioRun.Lab.Environment.Time);
}
