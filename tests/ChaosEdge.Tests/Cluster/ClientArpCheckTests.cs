using System.Net;
using System.Net.Sockets;
using ChaosEdge.Health;
using ChaosEdge.Processes;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>The harness's own ARP entry for a VIP, checked against the VIP's owner on the real lab.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClientArpCheckTests
{
    [Test]
    public async Task An_ARP_entry_left_on_a_non_owner_is_found_and_forgotten_though_traffic_still_flows_through_it()
    {
        var owner = (await ClusterLab.HoldersOfAsync(ClusterLab.Vip)).Single();
        var detour = ClusterLab.Inventory.Servers.Select(s => s.Name).First(n => n != owner);
        var detourMac = (await ClusterLab.Shell(detour).RunCheckedAsync("cat /sys/class/net/eth0/address")).Stdout.Trim();
        var endpoint = new IPEndPoint(ClusterLab.Vip, ClusterLab.Inventory.ControlPlane.Port);
        await ConnectAsync(endpoint);
        var device = ArpEntry()!.Device;

        // What an isolated node's gratuitous ARP leaves behind after a healed partition: the VIP at a node that no
        // longer holds it, which forwards the traffic on, so nothing looks wrong.
        await IpAsync("neigh", "replace", ClusterLab.Vip.ToString(), "lladdr", detourMac, "dev", device, "nud", "reachable");
        await ConnectAsync(endpoint);
        Assert.That(ArpEntry()!.Mac, Is.EqualTo(detourMac), "the detour carries the traffic and stays in the cache");

        var reports = new List<string>();
        await ClientArpCheck.CheckAsync(ClusterLab.Inventory, ClusterLab.Shells.ToDictionary(s => s.Key, s => (INodeShell)s.Value), [ClusterLab.Vip], reports.Add, CancellationToken.None);
        await ConnectAsync(endpoint);

        Assert.That(reports.Single(), Does.Contain($"named node '{detour}' ({detourMac}), not its owner '{owner}'").And.Contain("Forgot the entry"));
        Assert.That(ArpEntry()!.Mac, Is.Not.EqualTo(detourMac), "asked again, the owner answered");

        reports.Clear();
        await ClientArpCheck.CheckAsync(ClusterLab.Inventory, ClusterLab.Shells.ToDictionary(s => s.Key, s => (INodeShell)s.Value), [ClusterLab.Vip], reports.Add, CancellationToken.None);
        Assert.That(reports, Is.Empty, "an entry at the owner is left alone");
    }

    private static ClientArpCheck.ArpEntry? ArpEntry() =>
        ClientArpCheck.ParseArpTable(File.ReadAllText(ClientArpCheck.ArpTablePath)).FirstOrDefault(e => e.Address.Equals(ClusterLab.Vip));

    private static async Task ConnectAsync(IPEndPoint endpoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await socket.ConnectAsync(endpoint, timeout.Token);
    }

    private static async Task IpAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("ip", arguments, timeout: TimeSpan.FromSeconds(5));
        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
    }
}
