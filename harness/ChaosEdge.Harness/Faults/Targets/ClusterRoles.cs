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
    /// <summary>The servers whose primary NIC carries the control-plane VIP.</summary>
    public static async Task<IReadOnlyList<string>> VipHoldersAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(shells);
        var holders = new List<string>();
        foreach (var node in inventory.Servers)
        {
            var result = await shells[node.Name].RunAsync($"ip -4 -o addr show dev {node.Interface}", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Stdout.Contains($" {inventory.ControlPlane.Vip}/", StringComparison.Ordinal))
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
            : throw new ChaosEdgeException($"The control-plane VIP {inventory.ControlPlane.Vip} is held by {(holders.Count == 0 ? "no server" : string.Join(" and ", holders))}; a scenario needs exactly one holder.");
    }

    /// <summary>A server that does not hold the VIP (the last in inventory order, so choices are repeatable).</summary>
    public static async Task<string> NonHolderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        var holder = await VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        return inventory.Servers.Select(s => s.Name).Last(n => n != holder);
    }

    /// <summary>The server whose etcd member is the Raft leader.</summary>
    public static async Task<string> EtcdLeaderAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var servers = inventory.Servers.ToList();
        var endpoints = string.Join(',', servers.Select(s => $"https://{s.Address}:2379"));
        var result = await shells[servers[0].Name].RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {EtcdProbe.K3sEtcdctlFlags} --command-timeout=3s endpoint status -w json", cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var status in (JsonNode.Parse(result.Stdout) as JsonArray ?? []).OfType<JsonObject>())
        {
            var header = status["Status"]?["header"];
            if ((ulong?)header?["member_id"] is { } id && (ulong?)status["Status"]?["leader"] == id)
            {
                var endpoint = (string?)status["Endpoint"] ?? string.Empty;
                return servers.First(s => endpoint.Contains($"//{s.Address}:", StringComparison.Ordinal)).Name;
            }
        }

        throw new ChaosEdgeException($"No etcd member reports itself leader: {result.Stdout.Trim()}");
    }

    /// <summary>The nodes running a cluster DNS replica (pods labelled <c>k8s-app=kube-dns</c> in kube-system).</summary>
    public static async Task<IReadOnlyList<string>> DnsReplicaNodesAsync(KubeClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (pods, _) = await client.ListAsync(ResourcePath.Pods.For("kube-system"), cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. pods.Where(p => (string?)p["metadata"]?["labels"]?["k8s-app"] == "kube-dns" && p["metadata"]?["deletionTimestamp"] is null)
            .Select(p => (string?)p["spec"]?["nodeName"]).OfType<string>().Distinct().Order(StringComparer.Ordinal)];
    }
}
