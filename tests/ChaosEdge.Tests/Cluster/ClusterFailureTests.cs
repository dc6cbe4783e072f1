using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The lab cluster fails the way K3s with embedded etcd does. Each test breaks one thing with the real mechanism
/// (keepalived stopped, etcd processes stopped, the node service stopped), checks the effect through the VIP, puts
/// everything back and waits for the health gate, so the next test starts from a healthy cluster.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterFailureTests
{
    [Test]
    public async Task Stopping_the_keepalived_that_holds_the_VIP_moves_the_VIP_and_the_API_answers_through_it()
    {
        var holders = await ClusterLab.HoldersOfAsync(ClusterLab.Vip);
        Assert.That(holders, Has.Count.EqualTo(1), "exactly one node holds the VIP before the fault");
        var holder = holders[0];
        var clock = Stopwatch.StartNew();
        try
        {
            await ClusterLab.Shell(holder).RunCheckedAsync("systemctl stop keepalived");
            var stopped = clock.Elapsed;

            string? newHolder = null;
            await Waiting.Wait.UntilAsync($"The VIP {ClusterLab.Vip}", "move to another node", async _ =>
            {
                var now = await ClusterLab.HoldersOfAsync(ClusterLab.Vip);
                newHolder = now.Count == 1 && now[0] != holder ? now[0] : null;
                return (newHolder is not null, "held by: " + string.Join(", ", now));
            }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
            var moved = clock.Elapsed - stopped;

            await WaitReadyzAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(15));
            var answered = clock.Elapsed - stopped;
            TestContext.Out.WriteLine($"VIP moved from {holder} to {newHolder} {Ms(moved)} after keepalived stopped; /readyz answered 200 through it after {Ms(answered)}.");
            Assert.That(moved, Is.LessThan(TimeSpan.FromSeconds(5)), "keepalived sends a priority-0 advert on stop, so a backup takes over within its skew time");
        }
        finally
        {
            await ClusterLab.Shell(holder).RunCheckedAsync("systemctl start keepalived");
            await ClusterLab.WaitHealthyAsync();
        }

        var after = await ClusterLab.HoldersOfAsync(ClusterLab.Vip);
        Assert.That(after, Has.Count.EqualTo(1), "one VIP holder after keepalived is back");
    }

    [Test]
    public async Task Stopping_two_etcd_members_fails_readyz_through_the_VIP_within_5_s_and_starting_them_recovers_it()
    {
        var holder = (await ClusterLab.HoldersOfAsync(ClusterLab.Vip)).Single();
        var victims = ClusterLab.Inventory.Servers.Where(s => s.Name != holder).Take(2).ToList();
        var clock = Stopwatch.StartNew();
        var stoppedAt = TimeSpan.Zero;
        try
        {
            foreach (var victim in victims)
            {
                await ClusterLab.Shell(victim.Name).RunCheckedAsync($"pkill -STOP -f {EtcdPattern(victim.Address)}");
            }

            stoppedAt = clock.Elapsed;
            await WaitReadyzAsync(HttpStatusCode.InternalServerError, TimeSpan.FromSeconds(5));
            var failed = clock.Elapsed - stoppedAt;
            TestContext.Out.WriteLine($"Stopped etcd on {string.Join(" and ", victims.Select(v => v.Name))}; /readyz through the VIP (held by {holder}) failed after {Ms(failed)}.");
        }
        finally
        {
            foreach (var victim in victims)
            {
                await ClusterLab.Shell(victim.Name).RunCheckedAsync($"pkill -CONT -f {EtcdPattern(victim.Address)}");
            }
        }

        var resumed = clock.Elapsed;
        await WaitReadyzAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        TestContext.Out.WriteLine($"/readyz answered 200 again {Ms(clock.Elapsed - resumed)} after the members resumed.");
        await ClusterLab.WaitHealthyAsync();
    }

    [Test]
    public async Task Stopping_a_nodes_service_turns_it_NotReady_after_the_grace_period_and_DNS_keeps_answering_from_the_other_nodes()
    {
        using var client = ClusterLab.Client();
        var holder = (await ClusterLab.HoldersOfAsync(ClusterLab.Vip)).Single();
        var leader = (await client.GetAsync(ResourcePath.Leases.For("kube-system", "kube-controller-manager"))).Text("spec.holderIdentity")!.Split('_')[0];
        var (pods, _) = await client.ListAsync(ResourcePath.Pods.For("kube-system"), labelSelector: "k8s-app=kube-dns");
        var target = ClusterLab.Inventory.Servers.First(s => s.Name != holder && s.Name != leader);
        Assert.That(pods.Select(p => p.Text("spec.nodeName")), Does.Contain(target.Name), "the node to stop hosts a DNS replica");
        var asker = ClusterLab.Inventory.Servers.First(s => s.Name != target.Name);

        // From another node: a query to the DNS service IP every 200 ms through the whole fault.
        var queries = (int)((ClusterLab.GracePeriod + TimeSpan.FromSeconds(16)) / TimeSpan.FromMilliseconds(250));
        var asking = ClusterLab.Shell(asker.Name).RunAsync(
            $"for i in $(seq {queries}); do dig +short +time=1 +tries=1 @{ClusterLab.Inventory.Cluster.DnsServiceIp} kubernetes.default.svc.cluster.local | head -1 | grep -qx 198.19.0.1 && echo ok || echo FAIL; sleep 0.2; done");

        var clock = Stopwatch.StartNew();
        try
        {
            await ClusterLab.Shell(target.Name).RunCheckedAsync("systemctl stop k3s");
            var stopped = clock.Elapsed;
            var dns = await ClusterLab.Shell(target.Name).RunAsync($"pgrep -f '^dnsmasq .*--listen-address={target.Address} '");
            var etcd = await ClusterLab.Shell(target.Name).RunAsync($"pgrep -f {EtcdPattern(target.Address)}");
            Assert.That(dns.ExitCode, Is.Zero, "the node's DNS pod keeps running when its service stops, as K3s leaves containers running");
            Assert.That(etcd.ExitCode, Is.EqualTo(1), $"the node's etcd member stops with its service: {etcd.Stdout}");

            await Waiting.Wait.UntilAsync($"Node '{target.Name}'", "turn NotReady", async token =>
            {
                var node = await client.GetAsync(ResourcePath.Nodes.For(null, target.Name), token);
                return (node.Condition("Ready") != "True", "Ready=" + node.Condition("Ready"));
            }, ClusterLab.GracePeriod + TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
            var notReady = clock.Elapsed - stopped;

            await Waiting.Wait.UntilAsync("Endpoints 'kube-system/kube-dns'", $"drop {target.Address}", async token =>
            {
                var endpoints = await client.GetAsync(ResourcePath.Endpoints.For("kube-system", "kube-dns"), token);
                var ready = (endpoints["subsets"]?.AsArray() ?? []).SelectMany(s => s?["addresses"]?.AsArray() ?? []).Select(a => (string?)a?["ip"]).ToList();
                return (!ready.Contains(target.Address.ToString()) && ready.Count == 2, "ready: " + string.Join(", ", ready));
            }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
            var dropped = clock.Elapsed - stopped;
            TestContext.Out.WriteLine($"Stopped k3s on {target.Name}: NotReady after {Ms(notReady)} (grace period {ClusterLab.GracePeriod.TotalSeconds} s), its DNS endpoint left kube-dns after {Ms(dropped)}.");

            // The kubelet renews every 2 s, the controller checks every 5 s (node-monitor-period).
            Assert.That(notReady, Is.GreaterThan(ClusterLab.GracePeriod - TimeSpan.FromSeconds(2.5)).And.LessThan(ClusterLab.GracePeriod + TimeSpan.FromSeconds(7)));

            var answers = (await asking).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            TestContext.Out.WriteLine($"DNS from {asker.Name}: {answers.Count(a => a == "ok")} of {answers.Length} queries answered.");
            Assert.That(answers, Has.Length.EqualTo(queries).And.All.EqualTo("ok"));
        }
        finally
        {
            await asking;
            await ClusterLab.Shell(target.Name).RunCheckedAsync("systemctl start k3s");
            await ClusterLab.WaitHealthyAsync();
        }
    }

    private static string EtcdPattern(IPAddress address) => $"'^etcd --name .*--listen-peer-urls https://{address}:2380'";

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Polls <c>/readyz</c> through the VIP every 100 ms on a fresh connection until it returns <paramref name="expected"/>.</summary>
    private static Task WaitReadyzAsync(HttpStatusCode expected, TimeSpan timeout) =>
        Waiting.Wait.UntilAsync($"/readyz through the VIP {ClusterLab.Vip}", $"return {(int)expected}", async token =>
        {
            using var client = ClusterLab.Client(TimeSpan.FromSeconds(3));
            try
            {
                var (status, body) = await client.GetRawAsync("/readyz", token);
                return (status == expected, $"{(int)status} {body.Trim()}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return (false, e.Message);
            }
        }, timeout, TimeSpan.FromMilliseconds(100));
}
