using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

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
