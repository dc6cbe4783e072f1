using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;
using k8s;
using k8s.Models;

namespace ChaosEdge.Health;

/// <summary>
/// The cluster is healthy when: every node is Ready through the VIP; every deployment has all its replicas ready (at
/// its current generation); every etcd member is healthy; the cluster DNS
/// service answers <c>kubernetes.default.svc.cluster.local</c> from every node; the service VIP answers HTTP. Then the
/// keepalived VIPs must be back on the server VRRP settles on (with preemption, the first), and the harness's own ARP
/// entries for the VIPs are checked against the VIPs' owners (<see cref="ClientArpCheck"/>).
/// </summary>
public sealed class HealthGate(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, KubeClient client, TimeProvider time)
{
    /// <summary>etcdctl's TLS flags for K3s's embedded etcd (the same the etcd probe uses).</summary>
    public const string EtcdctlFlags = ChaosEdge.Measurement.Probes.EtcdProbe.K3sEtcdctlFlags;

    public async Task WaitHealthyAsync(System.Net.IPAddress serviceVip, TimeSpan timeout, Action<string> report, CancellationToken cancellationToken)
    {
        report("Health gate: nodes Ready, etcd members healthy, DNS answering on every node, service VIP answering");
        await Wait.UntilAsync("The cluster's nodes", "all be Ready (read through the VIP)", async token =>
        {
            var (nodes, failure) = await TryListAsync("LIST nodes", (c, t) => c.CoreV1.ListNodeAsync(cancellationToken: t), token).ConfigureAwait(false);
            if (failure is not null)
            {
                return (false, failure);
            }

            var notReady = inventory.ClusterNodes.Select(n => n.Name).Where(n => Condition(nodes?.Items.FirstOrDefault(o => o.Name() == n)?.Status?.Conditions, "Ready") != "True").ToList();
            return (notReady.Count == 0, notReady.Count == 0 ? "all Ready" : "not Ready: " + string.Join(", ", notReady));
        }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);

        await Wait.UntilAsync("The cluster's deployments", "have every replica ready (cluster DNS in the inventory's shape, the edge workload)", async token =>
        {
            var (deployments, failure) = await TryListAsync("LIST deployments", (c, t) => c.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: t), token).ConfigureAwait(false);
            if (failure is not null)
            {
                return (false, failure);
            }

            var waiting = deployments!.Items.Where(d => !Complete(d)).ToList();
            if (waiting.Count == 0)
            {
                return (true, "all ready");
            }

            // The evidence names each pod of the waiting deployments: where it runs and what its kubelet last reported.
            var pods = await client.CallAsync("LIST pods", (c, t) => c.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: t), token).ConfigureAwait(false);
            return (false, string.Join("; ", waiting.Select(d =>
                $"{d.Namespace()}/{d.Name()} {d.Status?.ReadyReplicas ?? 0}/{d.Spec?.Replicas ?? 1} ready (generation {d.Metadata?.Generation}, observed {d.Status?.ObservedGeneration}): "
                + string.Join(", ", pods.Items.Where(p => p.Namespace() == d.Namespace() && (p.Metadata?.OwnerReferences ?? []).Any(o => o.Uid == d.Uid()))
                    .Select(p => $"{p.Name()} on {p.Spec?.NodeName ?? "no node"} Ready={Condition(p.Status?.Conditions, "Ready") ?? "?"} {p.Status?.Phase} restarts={p.Status?.ContainerStatuses?.FirstOrDefault()?.RestartCount ?? 0}")))));
        }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);

        var members = inventory.EtcdMembers.ToList();
        var endpoints = string.Join(',', members.Select(s => $"https://{s.Address}:2379"));
        await Wait.UntilAsync("The etcd cluster", $"have {members.Count} healthy members", async token =>
        {
            var result = await shells[members[0].Name].RunAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {ChaosEdge.Measurement.Probes.EtcdProbe.EtcdctlFlags(inventory)} --command-timeout=3s endpoint health 2>&1", cancellationToken: token).ConfigureAwait(false);
            return (result.Succeeded && result.Stdout.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)) == members.Count, result.Stdout.Trim());
        }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);

        foreach (var node in inventory.ClusterNodes)
        {
            await Wait.UntilAsync($"The cluster DNS seen from node '{node.Name}'", $"answer kubernetes.default.svc.cluster.local at {inventory.Cluster.DnsServiceIp}", async token =>
            {
                var result = await shells[node.Name].RunAsync($"dig +short +time=1 +tries=1 @{inventory.Cluster.DnsServiceIp} kubernetes.default.svc.cluster.local", cancellationToken: token).ConfigureAwait(false);
                return (result.Succeeded && result.Stdout.Trim() == "198.19.0.1", (result.Stdout + result.Stderr).Trim());
            }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }

        // keepalived preempts: once the highest-priority server is healthy again it takes its VIPs back. A scenario
        // started before that would measure the move back, and its API connections would be reset by it.
        if (inventory.Cluster.Keepalived.Preempt)
        {
            if (inventory.K3s is null || inventory.K3s.Vip == VipProvider.Keepalived)
            {
                await WaitSettledAsync(inventory.ControlPlane.Vip, "The control-plane VIP", inventory.VipCarriers.First(), timeout, cancellationToken).ConfigureAwait(false);
            }

            if (!inventory.ServiceVipsByMetalLb)
            {
                await WaitSettledAsync(serviceVip, "The service VIP", inventory.Servers.First(), timeout, cancellationToken).ConfigureAwait(false);
            }
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync($"The service VIP {serviceVip}", "answer HTTP on port 80", async token =>
        {
            try
            {
                var body = await http.GetStringAsync(new Uri($"http://{serviceVip}/"), token).ConfigureAwait(false);
                return (body.StartsWith("edge-app", StringComparison.Ordinal), body.Trim());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return (false, e.Message);
            }
        }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        await ClientArpCheck.CheckAsync(inventory, shells, [inventory.ControlPlane.Vip, serviceVip], report, cancellationToken).ConfigureAwait(false);
        report("Health gate passed.");
    }

    /// <summary>Waits until <paramref name="vip"/> is on <paramref name="preferred"/> (the first of its carriers) alone: with preemption, where VRRP settles (priorities fall by 10 from the first carrier on).</summary>
    private async Task WaitSettledAsync(System.Net.IPAddress vip, string what, NodeSpec preferred, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Wait.UntilAsync($"{what} {vip}", $"be held by '{preferred.Name}' alone (keepalived preempts: the node with the highest priority takes it back once it is healthy)", async token =>
        {
            IReadOnlyList<string> holders;
            try
            {
                holders = await Faults.Targets.ClusterRoles.HoldersAsync(inventory, shells, vip, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (false, $"the servers could not be asked: {e.Message}");
            }

            return (holders is [var only] && only == preferred.Name, holders.Count == 0 ? "held by no node" : "held by " + string.Join(" and ", holders));
        }, timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
    }

    // The API may be briefly unreachable while the VIP moves: that is "not yet", not a failure of the gate.
    private async Task<(T? List, string? Failure)> TryListAsync<T>(string what, Func<k8s.IKubernetes, CancellationToken, Task<T>> list, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return (await client.CallAsync(what, list, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, e.Message);
        }
    }

    private static string? Condition(IEnumerable<V1NodeCondition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type)?.Status;

    private static string? Condition(IEnumerable<V1PodCondition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type)?.Status;

    private static bool Complete(V1Deployment deployment) =>
        (deployment.Status?.ObservedGeneration ?? 0) >= (deployment.Metadata?.Generation ?? 1)
        && (deployment.Status?.ReadyReplicas ?? 0) == (deployment.Spec?.Replicas ?? 1);
}
