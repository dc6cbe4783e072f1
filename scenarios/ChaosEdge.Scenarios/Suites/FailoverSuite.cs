using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// Failover: the VIP holder and a non-holder each lose power, their kubelet (K3s service) and their NIC, with every
/// probe running — VIP takeover, API availability on new and long-lived connections, the service VIP, DNS from every
/// surviving node, VIP ownership and etcd leadership — each judged by the SLA file's scenario of the same name.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Failover)]
[Order(1)]
public sealed class FailoverSuite : ScenarioSuite
{
    protected override string Suite => ScenarioCatalog.Failover;

    [Test]
    [Description("VIP holder power-off")]
    public Task Power_off_of_the_VIP_holder_moves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("vip-holder-power-off"));

    [Test]
    [Description("VIP holder kubelet stop")]
    public Task Kubelet_stop_on_the_VIP_holder_moves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("vip-holder-kubelet-stop"));

    [Test]
    [Description("VIP holder NIC down")]
    public Task NIC_down_on_the_VIP_holder_moves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("vip-holder-nic-down"));

    [Test]
    [Description("Non-holder power-off")]
    public Task Power_off_of_a_non_holder_leaves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("non-holder-power-off"));

    [Test]
    [Description("Non-holder kubelet stop")]
    public Task Kubelet_stop_on_a_non_holder_leaves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("non-holder-kubelet-stop"));

    [Test]
    [Description("Non-holder NIC down")]
    public Task NIC_down_on_a_non_holder_leaves_the_VIP_and_the_API_within_the_SLA() => RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("non-holder-nic-down"));
}
