using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// Client: what a PLC on the switch sees. A client namespace on the lab bridge with the kernel's default ARP behaviour
/// polls the service VIP (a request/response every 100 ms) while the node answering for it is powered off — once on a
/// plain switch, where the new holder's gratuitous ARP moves the client at once, and once behind an ARP guard that
/// drops gratuitous ARP towards the client, which then keeps sending to the dead MAC until its ARP entry expires.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Client)]
[Order(8)]
public sealed class ClientSuite : ScenarioSuite
{
    protected override string Suite => ScenarioCatalog.Client;

    [Test]
    [Order(1)]
    [Description("Client, service VIP holder power-off")]
    public async Task A_client_on_the_switch_follows_the_service_VIP_by_gratuitous_ARP()
    {
        var result = await RunClientAsync("client-service-vip-power-off");
        var client = result.Probe(ScenarioRunner.ClientProbeName).LongestOutage;
        Assert.That(client, Is.LessThan(result.ClientArp!.Reachable), "with gratuitous ARP forwarded, the client moved before its ARP entry could expire");
    }

    [Test]
    [Order(2)]
    [Description("Client, ARP guard, service VIP holder power-off")]
    public async Task Behind_an_ARP_guard_the_client_loses_the_service_VIP_for_its_ARP_cache_time_while_the_cluster_recovers_in_seconds()
    {
        var result = await RunClientAsync("client-arp-guard-power-off");
        var arp = result.ClientArp!;
        var client = result.Probe(ScenarioRunner.ClientProbeName).LongestOutage;
        var cluster = result.Probe("service-vip-tcp").LongestOutage;
        Assert.Multiple(() =>
        {
            Assert.That(client, Is.GreaterThanOrEqualTo(arp.Reachable), $"the client's outage is at least its ARP entry's reachable time ({arp})");
            Assert.That(cluster, Is.LessThan(TimeSpan.FromSeconds(10)), "the cluster's own service VIP probe, which hears the gratuitous ARP, recovered in seconds");
            Assert.That(result.Notes, Has.Some.Contains("bounded by the client's ARP cache"), "the cause is named");
        });
    }

    private Task<ScenarioResult> RunClientAsync(string name)
    {
        if (!ScenarioRun.Lab.IsVirtual)
        {
            Assert.Ignore("The client on the switch is the virtual lab's; a configured lab is used as it is.");
        }

        return RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get(name));
    }
}
