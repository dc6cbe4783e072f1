using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

/// <summary>
/// Etcd: a follower's and the leader's member is removed and wiped, then rejoins fresh; write markers go through the
/// VIP before, during and after, and every acknowledged one must be there after recovery.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Etcd)]
[Order(2)]
public sealed class EtcdSuite : ScenarioSuite
{
    protected override string Suite => ScenarioCatalog.Etcd;

    [Test]
    [Description("etcd follower member loss")]
    public Task Losing_an_etcd_follower_keeps_writes_available_and_loses_no_acknowledged_write() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("etcd-follower-loss"));

    [Test]
    [Description("etcd leader member loss")]
    public Task Losing_the_etcd_leader_elects_a_new_one_and_loses_no_acknowledged_write() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("etcd-leader-loss"));
}
