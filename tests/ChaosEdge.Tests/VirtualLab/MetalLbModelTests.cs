using System.Net;
using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.MetalLb;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>
/// The parts of the lab's MetalLB model that decide who announces: MetalLB's hash order, the pools' addresses, and
/// the memberlist failure detector over real UDP sockets on loopback.
/// </summary>
public sealed class MetalLbModelTests
{
    [Test]
    public void Every_speaker_picks_the_same_announcer_by_the_hash_of_node_and_address()
    {
        var address = IPAddress.Parse("198.18.0.200");
        var nodes = new[] { "n100-1", "n100-2", "n100-3" };

        var chosen = SpeakerModel.Announcer(nodes, address);
        var expected = nodes.OrderBy(n => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{n}#{address}"))), StringComparer.Ordinal).First();

        Assert.Multiple(() =>
        {
            Assert.That(chosen, Is.EqualTo(expected));
            Assert.That(SpeakerModel.Announcer(nodes.Reverse(), address), Is.EqualTo(chosen), "independent of the order speakers are seen in");
            Assert.That(SpeakerModel.Announcer(nodes.Where(n => n != chosen), address), Is.Not.EqualTo(chosen).And.Not.Null, "the next in hash order takes over");
            Assert.That(SpeakerModel.Announcer([], address), Is.Null);
        });
    }

    [Test]
    public void A_pool_holds_its_ranges_and_networks()
    {
        var pool = (JsonObject)JsonNode.Parse("""{"spec":{"addresses":["198.18.0.200-198.18.0.202","198.18.1.0/30"]}}""")!;

        Assert.That(AddressPool.Addresses(pool).Select(a => a.ToString()), Is.EqualTo(new[]
        {
            "198.18.0.200", "198.18.0.201", "198.18.0.202", "198.18.1.0", "198.18.1.1", "198.18.1.2", "198.18.1.3",
        }));
    }

    [Test]
    public async Task A_member_that_stops_answering_is_declared_dead_after_the_suspicion_timeout_and_rejoins_when_it_returns()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ports = new[] { FreePort(), FreePort(), FreePort() };
        var names = new[] { "a", "b", "c" };
        var lists = names.Select((n, i) => new Memberlist(n, new IPEndPoint(IPAddress.Loopback, ports[i]), NullLogger.Instance, TimeProvider.System)).ToList();
        using var stopC = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var runs = lists.Select((m, i) => m.RunAsync(i == 2 ? stopC.Token : stop.Token)).ToList();
        var peers = names.Select((n, i) => (n, new IPEndPoint(IPAddress.Loopback, ports[i]))).ToList();
        foreach (var list in lists)
        {
            list.Join(peers);
        }

        await Task.Delay(2500);
        var before = lists[0].Active.Order(StringComparer.Ordinal).ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await stopC.CancelAsync();
        while (lists[0].Active.Contains("c") && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        var detected = watch.Elapsed;
        var restarted = new Memberlist("c", new IPEndPoint(IPAddress.Loopback, ports[2]), NullLogger.Instance, TimeProvider.System);
        var rerun = restarted.RunAsync(stop.Token);
        restarted.Join(peers);
        await Task.Delay(1500);
        var after = lists[0].Active.Order(StringComparer.Ordinal).ToList();
        await stop.CancelAsync();
        await Task.WhenAll(runs.Append(rerun));

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(new[] { "a", "b", "c" }));
            // A probe every 1 s, 500 ms timeout, indirect probes until the interval ends, then 4 s of suspicion.
            Assert.That(detected, Is.GreaterThan(TimeSpan.FromSeconds(4)).And.LessThan(TimeSpan.FromSeconds(9)), "declared dead after suspicion, not at the first missed ack");
            Assert.That(after, Is.EqualTo(new[] { "a", "b", "c" }), "a restarted member is alive again");
            Assert.That(Memberlist.SuspicionTimeout(3), Is.EqualTo(TimeSpan.FromSeconds(4)));
            Assert.That(Memberlist.SuspicionTimeout(100).TotalSeconds, Is.EqualTo(8).Within(0.001));
        });
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
