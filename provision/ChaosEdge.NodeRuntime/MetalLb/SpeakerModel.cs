using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary>
/// The lab's model of MetalLB's speaker in layer-2 mode (v0.14/v0.15; <c>speaker/layer2_controller.go</c>,
/// <c>internal/layer2</c>), run by the lab's kubelet for the image <c>quay.io/metallb/speaker</c>, one per node:
/// <list type="bullet">
/// <item>Speakers find each other through the API (the speaker pods' IPs, <c>METALLB_ML_LABELS</c>) and share a
/// <see cref="Memberlist"/> failure detector on <c>METALLB_ML_BIND_PORT</c> (7946): a node whose speaker stops answering
/// is dead after about 5–7 s.</item>
/// <item>For every LoadBalancer service's address that an <c>L2Advertisement</c> covers (its <c>ipAddressPools</c>, or
/// all pools when it names none; its <c>nodeSelectors</c>), the announcing node is the first of the live speakers'
/// nodes sorted by SHA-256 of <c>node#address</c> (<c>ShouldAnnounce</c>): every speaker computes the same answer
/// without talking. Only that node answers ARP for the address; the address is put on no interface.</item>
/// <item>On taking an address over, a speaker sends gratuitous ARP (a request and a reply) at once and every 1.1 s for
/// 5 s (<c>internal/layer2/announcer.go</c>), so clients with the old MAC in their ARP cache move at once.</item>
/// </list>
/// </summary>
internal sealed class SpeakerModel(KubeClient client, string node, IPAddress hostIp, int memberlistPort, string speakerLabels, string ns, ILogger logger, TimeProvider time)
{
    /// <summary>MetalLB's gratuitous ARP after a takeover: every 1.1 s for 5 s.</summary>
    public static readonly TimeSpan GratuitousEvery = TimeSpan.FromMilliseconds(1100);
    public static readonly TimeSpan GratuitousFor = TimeSpan.FromSeconds(5);

    private readonly Dictionary<IPAddress, CancellationTokenSource> announcing = [];
    private readonly SemaphoreSlim wake = new(0);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var nic = InterfaceOf(hostIp);
        using var responder = new ArpResponder(nic, logger);
        using var members = new Memberlist(node, new IPEndPoint(hostIp, memberlistPort), logger, time);
        members.Changed += () => wake.Release();
        var services = new KubeInformer(client, ResourcePath.Services.For(), logger);
        var pods = new KubeInformer(client, ResourcePath.Pods.For(ns), logger, labelSelector: speakerLabels);
        var advertisements = new KubeInformer(client, new ResourcePath("metallb.io", "v1beta1", "l2advertisements").For(ns), logger);
        var pools = new KubeInformer(client, new ResourcePath("metallb.io", "v1beta1", "ipaddresspools").For(ns), logger);
        var nodes = new KubeInformer(client, ResourcePath.Nodes.For(), logger);
        foreach (var informer in new[] { services, pods, advertisements, pools, nodes })
        {
            informer.Changed += _ => wake.Release();
        }

        var loops = new[] { services, pods, advertisements, pools, nodes }.Select(i => i.RunAsync(cancellationToken: cancellationToken)).Append(members.RunAsync(cancellationToken)).ToList();
        logger.LogInformation("MetalLB speaker model on node '{Node}': ARP on {Interface}, memberlist on {Address}:{Port}.", node, nic, hostIp, memberlistPort);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await wake.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            members.Join(pods.Items.Where(p => p.Text("status.podIP") is not null && p.Text("spec.nodeName") is not null && p["metadata"]?["deletionTimestamp"] is null)
                .Select(p => (p.Text("spec.nodeName")!, new IPEndPoint(IPAddress.Parse(p.Text("status.podIP")!), memberlistPort))));
            Reconcile(responder, members.Active, services.Items, advertisements.Items, pools.Items, nodes.Items, cancellationToken);
        }

        foreach (var cancel in announcing.Values)
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(loops).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private void Reconcile(ArpResponder responder, IReadOnlySet<string> active, IReadOnlyCollection<JsonObject> services, IReadOnlyCollection<JsonObject> advertisements,
        IReadOnlyCollection<JsonObject> pools, IReadOnlyCollection<JsonObject> nodes, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<IPAddress>();
        foreach (var service in services.Where(s => s.Text("spec.type") == "LoadBalancer"))
        {
            foreach (var text in (service["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => (string?)i?["ip"]).OfType<string>())
            {
                var address = IPAddress.Parse(text);
                var covering = advertisements.Where(a => Covers(a, address, pools)).ToList();
                var candidates = active.Where(n => covering.Any(a => Selects(a, nodes.FirstOrDefault(x => x.Name() == n)))).ToList();
                if (Announcer(candidates, address) == node)
                {
                    wanted.Add(address);
                }
            }
        }

        foreach (var address in announcing.Keys.Where(a => !wanted.Contains(a)).ToList())
        {
            responder.Withdraw(address);
            announcing[address].Cancel();
            announcing.Remove(address);
            logger.LogInformation("Node '{Node}' no longer announces {Address}.", node, address);
        }

        foreach (var address in wanted.Where(a => !announcing.ContainsKey(a)))
        {
            responder.Announce(address);
            var spam = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            announcing[address] = spam;
            _ = GratuitousAsync(responder, address, spam.Token);
            logger.LogInformation("Node '{Node}' announces {Address} (layer 2), {Members} live speakers.", node, address, active.Count);
        }
    }

    /// <summary>MetalLB's choice: the first node when sorted by SHA-256 of <c>node#address</c>; null with no candidate.</summary>
    public static string? Announcer(IEnumerable<string> candidates, IPAddress address) =>
        candidates.Select(n => (Node: n, Hash: SHA256.HashData(Encoding.UTF8.GetBytes($"{n}#{address}"))))
            .OrderBy(x => x.Hash, ByteOrder.Instance).ThenBy(x => x.Node, StringComparer.Ordinal).Select(x => x.Node).FirstOrDefault();

    private async Task GratuitousAsync(ArpResponder responder, IPAddress address, CancellationToken cancellationToken)
    {
        var until = time.GetTimestamp() + (long)(GratuitousFor.TotalSeconds * time.TimestampFrequency);
        while (!cancellationToken.IsCancellationRequested && time.GetTimestamp() <= until)
        {
            try
            {
                responder.SendGratuitous(address);
                await Task.Delay(GratuitousEvery, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("{Error}", e.Message);
                return;
            }
        }
    }

    /// <summary>Whether the advertisement covers the address: one of its pools (all pools when it names none) holds it.</summary>
    private static bool Covers(JsonObject advertisement, IPAddress address, IReadOnlyCollection<JsonObject> pools)
    {
        var named = (advertisement["spec"]?["ipAddressPools"] as JsonArray ?? []).Select(p => (string?)p).OfType<string>().ToList();
        return pools.Where(p => named.Count == 0 || named.Contains(p.Name())).Any(p => AddressPool.Addresses(p).Contains(address));
    }

    /// <summary>Whether the advertisement's <c>nodeSelectors</c> (matchLabels; any of them) select the node; all nodes when it has none.</summary>
    private static bool Selects(JsonObject advertisement, JsonObject? nodeObject)
    {
        var selectors = (advertisement["spec"]?["nodeSelectors"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return selectors.Count == 0 || (nodeObject is not null && selectors.Any(s => (s["matchLabels"] as JsonObject ?? []).All(l => nodeObject.Label(l.Key) == (string?)l.Value)));
    }

    private static string InterfaceOf(IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)))?.Name
        ?? throw new ArgumentException($"metallb speaker: no interface carries the node's address {address}.");

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static ByteOrder Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
