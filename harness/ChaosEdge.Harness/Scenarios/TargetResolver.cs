using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Targets;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Scenarios;

/// <summary>The nodes a scenario's fault is aimed at, and for a fault that needs them (a partition) the other side.</summary>
/// <param name="Targets">The faulted nodes.</param>
/// <param name="Peers">With <see cref="FaultTraits.NeedsPeers"/>: every other node of the inventory; otherwise null.</param>
public sealed record ResolvedTargets(IReadOnlyList<string> Targets, IReadOnlyList<string>? Peers);

/// <summary>
/// Finds the node(s) playing a scenario's <see cref="TargetRole"/> when it starts: from the nodes themselves (who holds
/// a VIP, who leads etcd), the API (where pods and volumes are) or the scenario (a named node).
/// </summary>
public sealed class TargetResolver(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, KubeClient client, IPEndPoint service, TimeProvider time, Action<string> report)
{
    /// <summary>The targets of <paramref name="scenario"/>'s fault, and its peers when the fault needs them.</summary>
    /// <exception cref="ChaosEdgeException">The role has no node in this cluster now.</exception>
    public async Task<ResolvedTargets> ResolveAsync(ScenarioDefinition scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var servers = inventory.Servers.Select(s => s.Name).ToList();
        IReadOnlyList<string> targets = scenario.Target switch
        {
            TargetRole.VipHolder => [await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)],
            TargetRole.NonHolder => [await ClusterRoles.NonHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)],
            TargetRole.EtcdLeader => [await LeaderAwayFromVipAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.EtcdFollower => [await FollowerAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.DnsReplicaNode => [(await ClusterRoles.DnsReplicaNodesAsync(client, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
                ?? throw new ChaosEdgeException("No node runs a cluster DNS replica.")],
            TargetRole.AllButVipHolder => [.. servers.Except([await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)])],
            TargetRole.ReplicaOnlyNode => [await ReplicaOnlyNodeAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.EngineNode => [await EngineNodeAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.WorkloadAgent => [await WorkloadAgentAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.ServiceVipHolder => [await ClusterRoles.ServiceVipHolderAsync(inventory, shells, service, cancellationToken).ConfigureAwait(false)],
            TargetRole.Node => [NamedNode(inventory, scenario)],
            TargetRole.PodNode => [await PodNodeAsync(scenario, cancellationToken).ConfigureAwait(false)],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario.Target, "Unknown role."),
        };

        IReadOnlyList<string>? peers = FaultTraits.For(scenario.Fault).NeedsPeers ? [.. inventory.Nodes.Select(n => n.Name).Except(targets)] : null;
        return new ResolvedTargets(targets, peers);
    }

    /// <summary>With <see cref="TargetRole.Node"/>: the node <see cref="ScenarioDefinition.TargetNode"/> names, which must be one of <paramref name="inventory"/>'s.</summary>
    /// <exception cref="ChaosEdgeException">It names none, or a node the inventory does not have (the message lists the inventory's nodes).</exception>
    public static string NamedNode(LabInventory inventory, ScenarioDefinition scenario)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(scenario);
        var nodes = string.Join(", ", inventory.Nodes.Select(n => $"'{n.Name}'"));
        if (string.IsNullOrWhiteSpace(scenario.TargetNode))
        {
            throw new ChaosEdgeException($"Scenario '{scenario.Name}' faults a named node but names none; the inventory '{inventory.SourcePath}' has {nodes}.");
        }

        return inventory.Nodes.FirstOrDefault(n => n.Name == scenario.TargetNode)?.Name
            ?? throw new ChaosEdgeException($"Scenario '{scenario.Name}' faults node '{scenario.TargetNode}', which the inventory '{inventory.SourcePath}' does not have; it has {nodes}.");
    }

    /// <summary>The node of a Ready pod among <paramref name="pods"/> (the first by node name), as <see cref="TargetRole.PodNode"/> picks it.</summary>
    /// <exception cref="ChaosEdgeException">No pod is Ready (the message says what matched).</exception>
    public static string PodNode(string scenario, PodSelector selector, IReadOnlyList<(string Name, string Node, bool Ready)> pods)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(pods);
        if (pods.Where(p => p.Ready && !string.IsNullOrEmpty(p.Node)).Select(p => p.Node).Order(StringComparer.Ordinal).FirstOrDefault() is { } node)
        {
            return node;
        }

        throw new ChaosEdgeException(pods.Count == 0
            ? $"Scenario '{scenario}' faults the node of a Ready pod matching '{selector.Selector}' in namespace '{selector.Namespace}'; no pod matches."
            : $"Scenario '{scenario}' faults the node of a Ready pod matching '{selector.Selector}' in namespace '{selector.Namespace}'; none of the {pods.Count} matching is Ready ({string.Join(", ", pods.Select(p => $"'{p.Name}' on '{p.Node}'"))}).");
    }

    private async Task<string> PodNodeAsync(ScenarioDefinition scenario, CancellationToken cancellationToken)
    {
        var selector = scenario.TargetPods
            ?? throw new ChaosEdgeException($"Scenario '{scenario.Name}' faults the node of a pod but has no pod selector (namespace and labels).");
        var pods = await ClusterRoles.WorkloadPodsAsync(client, selector.Namespace, selector.Selector, cancellationToken).ConfigureAwait(false);
        return PodNode(scenario.Name, selector, pods);
    }

    /// <summary>A node holding a replica but not the engine; one that does not hold the VIP when there is one, so the volume's figures are the replica's loss alone.</summary>
    private async Task<string> ReplicaOnlyNodeAsync(CancellationToken cancellationToken)
    {
        var volume = await VolumeWatch.VolumeAsync(inventory, client, cancellationToken).ConfigureAwait(false);
        var state = await Storage.LonghornState.ReadAsync(client, volume, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        var candidates = state.ReplicaOnlyNodes.ToList();
        return candidates.FirstOrDefault(n => n != holder) ?? candidates.FirstOrDefault()
            ?? throw new ChaosEdgeException($"Volume '{volume}' has no replica outside its engine's node.");
    }

    /// <summary>The node the probe volume is attached to (its engine's).</summary>
    private async Task<string> EngineNodeAsync(CancellationToken cancellationToken)
    {
        var volume = await VolumeWatch.VolumeAsync(inventory, client, cancellationToken).ConfigureAwait(false);
        return (await Storage.LonghornState.ReadAsync(client, volume, cancellationToken).ConfigureAwait(false)).EngineNode
            ?? throw new ChaosEdgeException($"Volume '{volume}' has no engine node: it is not attached.");
    }

    /// <summary>
    /// An agent running a Ready replica of the sample workload (the first by name). When the replicas all run on
    /// servers (nothing moves them back after an agent's loss), one is moved first: its pod on a server is deleted, and
    /// the scheduler, which spreads replicas, places the replacement on the least-loaded feasible node — an agent. A
    /// replacement that lands elsewhere is reported, not retried.
    /// </summary>
    private async Task<string> WorkloadAgentAsync(CancellationToken cancellationToken)
    {
        var agents = inventory.Nodes.Where(n => n.Role == NodeRole.Agent).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var (ns, name, selector) = ScenarioRunner.SampleWorkload;
        if (agents.Count == 0)
        {
            throw new ChaosEdgeException($"The cluster has no agents (the inventory names servers only); the scenario faults an agent running the sample workload {ns}/{name}.");
        }

        var pods = await ClusterRoles.WorkloadPodsAsync(client, ns, selector, cancellationToken).ConfigureAwait(false);
        if (pods.Where(p => p.Ready && agents.Contains(p.Node)).Select(p => p.Node).Order(StringComparer.Ordinal).FirstOrDefault() is { } carrying)
        {
            return carrying;
        }

        if (pods.Count == 0)
        {
            throw new ChaosEdgeException($"The sample workload {ns}/{name} has no pods.");
        }

        var moved = pods.Where(p => !agents.Contains(p.Node)).OrderBy(p => p.Name, StringComparer.Ordinal).First();
        report($"No agent runs a replica of {ns}/{name} (they run on {string.Join(", ", pods.Select(p => p.Node).Distinct())}): deleting pod '{moved.Name}' on '{moved.Node}' so that the scheduler places its replacement on an agent");
        await client.DeleteAsync(ResourcePath.Pods.For(ns, moved.Name), cancellationToken: cancellationToken).ConfigureAwait(false);
        var desired = pods.Count;
        string? placed = null;
        await Wait.UntilAsync($"The sample workload {ns}/{name}", "run a Ready replica on an agent", async token =>
        {
            var now = await ClusterRoles.WorkloadPodsAsync(client, ns, selector, token).ConfigureAwait(false);
            placed = now.Where(p => p.Ready && agents.Contains(p.Node)).Select(p => p.Node).Order(StringComparer.Ordinal).FirstOrDefault();
            return (placed is not null && now.Count(p => p.Ready) >= desired, $"replicas on {string.Join(", ", now.Select(p => $"{p.Node}{(p.Ready ? string.Empty : " (not Ready)")}"))}");
        }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), cancellationToken: cancellationToken).ConfigureAwait(false);
        return placed!;
    }

    /// <summary>
    /// The etcd leader, as the target of an etcd scenario: one that does not hold the control-plane VIP. Stopping K3s on
    /// the VIP holder also moves the VIP (keepalived tracks the API server), and the etcd scenarios measure an election,
    /// not a VIP failover (the Failover suite does). When the leader holds the VIP, the leadership is first moved to a
    /// server that does not, as the follower scenarios already pick a follower that does not hold it.
    /// </summary>
    private async Task<string> LeaderAwayFromVipAsync(CancellationToken cancellationToken)
    {
        var leader = await ClusterRoles.EtcdLeaderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        if (leader != holder || inventory.EtcdMembers.Select(s => s.Name).FirstOrDefault(n => n != holder) is not { } other)
        {
            return leader;
        }

        report($"etcd's leader '{leader}' also holds the VIP: moving the leadership to '{other}' first, so that the scenario measures an etcd election, not a VIP failover");
        await ClusterRoles.MoveEtcdLeaderAsync(inventory, shells, leader, other, time, cancellationToken).ConfigureAwait(false);
        return other;
    }

    private async Task<string> FollowerAsync(CancellationToken cancellationToken)
    {
        var leader = await ClusterRoles.EtcdLeaderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false);
        var followers = inventory.EtcdMembers.Select(s => s.Name).Where(n => n != leader).ToList();
        return followers.FirstOrDefault(n => n != holder) ?? followers[0];
    }
}
