using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Ssh;

namespace ChaosEdge.Faults.Targets;

/// <summary>Which node plays which role right now, so a scenario targets a role, not a name.</summary>
public static class ClusterRoles
{
    /// <summary>The nodes whose primary NIC carries the control-plane VIP: servers, or the load-balancer nodes when the inventory has them.</summary>
    public static Task<IReadOnlyList<string>> VipHoldersAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default) =>
        HoldersAsync(inventory, shells, (inventory ?? throw new ArgumentNullException(nameof(inventory))).ControlPlane.Vip, cancellationToken);

    /// <summary>The servers (for the control-plane VIP: the nodes that may carry it) whose primary NIC carries <paramref name="address"/>.</summary>
    public static async Task<IReadOnlyList<string>> HoldersAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(address);
        return await CarryingAsync(address.Equals(inventory.ControlPlane.Vip) ? inventory.VipCarriers : inventory.Servers, shells, address, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Which of <paramref name="nodes"/> carry <paramref name="address"/> on their primary NIC.</summary>
    private static async Task<List<string>> CarryingAsync(IEnumerable<NodeSpec> nodes, IReadOnlyDictionary<string, INodeShell> shells, IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shells);
        var holders = new List<string>();
        foreach (var node in nodes)
        {
            var result = await shells[node.Name].RunAsync($"ip -4 -o addr show dev {node.Interface}", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Stdout.Contains($" {address}/", StringComparison.Ordinal))
            {
                holders.Add(node.Name);
            }
        }

        return holders;
    }

    /// <summary>The one VIP holder.</summary>
    /// <exception cref="ChaosEdgeException">No server, or more than one, holds the VIP.</exception>
    public static async Task<string> VipHolderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        var holders = await VipHoldersAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        return holders.Count == 1 ? holders[0]
            : throw new ChaosEdgeException($"The control-plane VIP {inventory.ControlPlane.Vip} is held by {(holders.Count == 0 ? $"none of {string.Join(", ", inventory.VipCarriers.Select(n => n.Name))}" : string.Join(" and ", holders))}; a scenario needs exactly one holder.");
    }

    /// <summary>A server that does not hold the VIP (the last in inventory order, so choices are repeatable); with load-balancer nodes, no server holds it and this is the last server.</summary>
    public static async Task<string> NonHolderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        var holder = await VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        return inventory.Servers.Select(s => s.Name).Last(n => n != holder);
    }

    /// <summary>The node (a server, or an external etcd node) whose etcd member is the Raft leader.</summary>
    public static async Task<string> EtcdLeaderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        var (leader, _, raw) = await EtcdMembersAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        return leader ?? throw new ChaosEdgeException($"No etcd member reports itself leader: {raw}");
    }

    /// <summary>
    /// Moves etcd's Raft leadership from <paramref name="leader"/> to <paramref name="target"/> (<c>etcdctl
    /// move-leader</c>, sent to the leader) and returns once <paramref name="target"/> reports itself leader (10 s at most).
    /// </summary>
    public static async Task MoveEtcdLeaderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, string leader, string target, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var (_, members, raw) = await EtcdMembersAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        if (!members.TryGetValue(target, out var id))
        {
            throw new ChaosEdgeException($"Node '{target}' has no etcd member to give the leadership to: {raw}");
        }

        var from = inventory.Node(leader);
        await shells[from.Name].RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://{from.Address}:2379 {EtcdProbe.EtcdctlFlags(inventory)} --command-timeout=5s move-leader {id.ToString("x", CultureInfo.InvariantCulture)}", cancellationToken: cancellationToken).ConfigureAwait(false);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        while (await EtcdLeaderAsync(inventory, shells, cancellationToken).ConfigureAwait(false) != target)
        {
            if (time.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                throw new ChaosEdgeException($"etcd's leadership did not move from '{leader}' to '{target}' within 10 s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every server's etcd member id, and which server leads, from <c>etcdctl endpoint status</c>.</summary>
    private static async Task<(string? Leader, Dictionary<string, ulong> Members, string Raw)> EtcdMembersAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var servers = inventory.EtcdMembers.ToList();
        var endpoints = string.Join(',', servers.Select(s => $"https://{s.Address}:2379"));
        var result = await shells[servers[0].Name].RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {EtcdProbe.EtcdctlFlags(inventory)} --command-timeout=3s endpoint status -w json", cancellationToken: cancellationToken).ConfigureAwait(false);
        string? leader = null;
        var members = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var status in (JsonNode.Parse(result.Stdout) as JsonArray ?? []).OfType<JsonObject>())
        {
            var endpoint = (string?)status["Endpoint"] ?? string.Empty;
            var server = servers.FirstOrDefault(s => endpoint.Contains($"//{s.Address}:", StringComparison.Ordinal));
            if (server is null || (ulong?)status["Status"]?["header"]?["member_id"] is not { } id)
            {
                continue;
            }

            members[server.Name] = id;
            if ((ulong?)status["Status"]?["leader"] == id)
            {
                leader = server.Name;
            }
        }

        return (leader, members, result.Stdout.Trim());
    }

    /// <summary>
    /// The node answering for a service VIP: the node whose interface carries it (keepalived), else the node whose MAC
    /// the harness's ARP entry names after a connection to it (MetalLB's L2 speakers answer ARP without the address).
    /// </summary>
    public static async Task<string> ServiceVipHolderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, IPEndPoint service, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(shells);
        ArgumentNullException.ThrowIfNull(service);
        var carrying = await CarryingAsync(inventory.Nodes.Where(n => shells.ContainsKey(n.Name)), shells, service.Address, cancellationToken).ConfigureAwait(false);

        if (carrying.Count == 1)
        {
            return carrying[0];
        }

        if (carrying.Count > 1)
        {
            throw new ChaosEdgeException($"The service VIP {service.Address} is on {string.Join(" and ", carrying)}; a scenario needs one holder.");
        }

        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(service, limit.Token).ConfigureAwait(false);
        }

        var entry = Health.ClientArpCheck.ParseArpTable(await File.ReadAllTextAsync(Health.ClientArpCheck.ArpTablePath, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(e => e.Address.Equals(service.Address))
            ?? throw new ChaosEdgeException($"The service VIP {service.Address} is on no node's interface and the harness has no ARP entry for it: no node to name as its holder.");
        foreach (var node in inventory.Nodes.Where(n => shells.ContainsKey(n.Name)))
        {
            var mac = await shells[node.Name].RunAsync($"cat /sys/class/net/{node.Interface}/address", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (string.Equals(mac.Stdout.Trim(), entry.Mac, StringComparison.OrdinalIgnoreCase))
            {
                return node.Name;
            }
        }

        throw new ChaosEdgeException($"The service VIP {service.Address} answers from MAC {entry.Mac}, which is no node's.");
    }

    /// <summary>The pods <paramref name="selector"/> matches in <paramref name="ns"/> that are not terminating: name, node and whether Ready.</summary>
    public static async Task<IReadOnlyList<(string Name, string Node, bool Ready)>> WorkloadPodsAsync(KubeClient client, string ns, string selector, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var pods = await client.CallAsync($"LIST {ns} pods {selector}", (c, t) => k8s.CoreV1OperationsExtensions.ListNamespacedPodAsync(c.CoreV1, ns, labelSelector: selector, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        return [.. pods.Items.Where(PodReadiness.IsBoundAndLive)
            .Select(p => (p.Metadata!.Name, p.Spec!.NodeName, PodReadiness.IsReady(p)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>The nodes running a cluster DNS replica (pods labelled <c>k8s-app=kube-dns</c> in kube-system).</summary>
    public static async Task<IReadOnlyList<string>> DnsReplicaNodesAsync(KubeClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var pods = await client.CallAsync("LIST kube-system pods", (c, t) => k8s.CoreV1OperationsExtensions.ListNamespacedPodAsync(c.CoreV1, "kube-system", labelSelector: "k8s-app=kube-dns", cancellationToken: t), cancellationToken).ConfigureAwait(false);
        return [.. pods.Items.Where(p => p.Metadata?.DeletionTimestamp is null)
            .Select(p => p.Spec?.NodeName).OfType<string>().Distinct().Order(StringComparer.Ordinal)];
    }
}
