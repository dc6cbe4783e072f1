using System.Net;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>The lab's client on the switch: its own network stack, Linux's ARP timings, the ARP guard, and nothing left behind.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LabSwitchClientTests
{
    private const string Lab = "ceclient";

    [Test]
    public async Task The_client_connects_from_its_own_address_its_ARP_guard_is_a_bridge_rule_and_it_leaves_nothing_behind()
    {
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab(Lab);
        await lab.DownAsync();
        try
        {
            var up = (await lab.UpAsync(1)).Status.State!;
            var node = up.Nodes.Single();
            var client = await lab.AttachClientAsync();
            var timings = await client.ArpTimingsAsync();
            using (var socket = await client.CreateTcpSocketAsync())
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(node.Address), 22)).WaitAsync(TimeSpan.FromSeconds(5));
                Assert.That(((IPEndPoint)socket.LocalEndPoint!).Address, Is.EqualTo(client.Address), "the socket was made in the client's namespace");
            }

            await client.SetArpGuardAsync([IPAddress.Parse(up.ServiceVipPool[0])], true);
            var guard = await ProcessRunner.RunAsync("nft", ["list", "table", "bridge", "ce_arpguard_" + Lab]);

            Assert.Multiple(() =>
            {
                Assert.That(client.Address.ToString(), Does.EndWith(".250"));
                Assert.That(timings.BaseReachable, Is.EqualTo(TimeSpan.FromSeconds(30)), "Linux's default base_reachable_time");
                Assert.That(timings.Reachable, Is.InRange(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(45)), "drawn between 0.5x and 1.5x the base");
                Assert.That(timings.DelayFirstProbe, Is.EqualTo(TimeSpan.FromSeconds(5)));
                Assert.That(timings.UnicastProbes, Is.EqualTo(3));
                Assert.That(guard.Stdout, Does.Contain("hook forward").And.Contain($"oifname \"ce-{Lab}-c\"").And.Contain(up.ServiceVipPool[0]).And.Contain("drop"));
            });

            await client.SetArpGuardAsync([], false);
            Assert.That((await ProcessRunner.RunAsync("nft", ["list", "table", "bridge", "ce_arpguard_" + Lab])).ExitCode, Is.Not.Zero, "the guard is off");
            await client.SetArpGuardAsync([IPAddress.Parse(up.ServiceVipPool[0])], true);
            await client.DisposeAsync();
            Assert.Multiple(() =>
            {
                Assert.That(File.Exists($"/run/netns/ce-{Lab}-_client"), Is.False, "the client's namespace is gone");
                Assert.That(Directory.Exists($"/sys/class/net/ce-{Lab}-c"), Is.False, "its switch port is gone");
            });
            Assert.That((await ProcessRunner.RunAsync("nft", ["list", "table", "bridge", "ce_arpguard_" + Lab])).ExitCode, Is.Not.Zero, "its guard is gone");

            // A client a crashed run left behind goes with the lab.
            var left = await lab.AttachClientAsync();
            await left.SetArpGuardAsync([IPAddress.Parse(up.ServiceVipPool[0])], true);
            await lab.DownAsync();
            Assert.Multiple(async () =>
            {
                Assert.That(File.Exists($"/run/netns/ce-{Lab}-_client"), Is.False);
                Assert.That((await ProcessRunner.RunAsync("nft", ["list", "table", "bridge", "ce_arpguard_" + Lab])).ExitCode, Is.Not.Zero);
            });
            await left.DisposeAsync();
        }
        finally
        {
            await lab.DownAsync();
        }
    }

    [Test]
    public void The_ARP_timings_are_read_as_ip_ntable_prints_them()
    {
        const string Text = """
            inet arp_cache
                dev eth0
                refcnt 1 reachable 19892 base_reachable 30000 retrans 1000
                gc_stale 60000 delay_probe 5000 queue 101
                app_probes 0 ucast_probes 3 mcast_probes 3
                anycast_delay 1000 proxy_delay 800 proxy_queue 64 locktime 1000
            """;

        var timings = ChaosEdge.Provision.VirtualLab.VirtualLab.ParseTimings(Text);

        Assert.Multiple(() =>
        {
            Assert.That(timings.Reachable, Is.EqualTo(TimeSpan.FromMilliseconds(19892)));
            Assert.That(timings.UntilAskedAgain, Is.EqualTo(TimeSpan.FromMilliseconds(19892 + 5000 + 3000)));
            Assert.That(() => ChaosEdge.Provision.VirtualLab.VirtualLab.ParseTimings("inet arp_cache"), Throws.TypeOf<ChaosEdge.Errors.ChaosEdgeException>().With.Message.Contains("reachable"));
        });
    }
}
