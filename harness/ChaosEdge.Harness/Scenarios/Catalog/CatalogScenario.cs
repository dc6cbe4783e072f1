using ChaosEdge.Faults;
using ChaosEdge.Inventory;

namespace ChaosEdge.Scenarios.Catalog;

/// <summary>What a scenario writes while it runs, checked after recovery.</summary>
public enum WorkloadKind
{
    /// <summary>Nothing: probes only.</summary>
    None,

    /// <summary>Write markers through the control-plane VIP; none acknowledged may be lost.</summary>
    WriteMarkersThroughVip,

    /// <summary>Write markers through every node's own API endpoint; none lost, and no conflicting writes acknowledged on two sides of a partition.</summary>
    WriteMarkersOnEverySide,
}

/// <summary>
/// One scenario of a suite, as the NUnit suites and <c>chaosedge nightly</c> both run it: its definition, what it
/// writes, and what it needs of the lab.
/// </summary>
/// <param name="Suite">A built-in suite (<see cref="ScenarioCatalog.Suites"/>) or a campaign's own, such as Customer.</param>
/// <param name="Title">What it shows, as a sentence.</param>
/// <param name="Definition">Fault, target role and windows; <see cref="ScenarioDefinition.Name"/> is its SLA key.</param>
public sealed record CatalogScenario(string Suite, string Title, ScenarioDefinition Definition)
{
    public string Name => Definition.Name;

    public WorkloadKind Workload { get; init; }

    /// <summary>
    /// Thresholds the campaign gives this scenario (its <c>sla:</c> block, same form as an SLA file's entry); null: the
    /// SLA file's entry for its name. When set they replace the SLA file's entry for this scenario.
    /// </summary>
    public IReadOnlyList<Measurement.Sla.SlaThreshold>? Sla { get; init; }

    /// <summary>Servers of the lab it needs; 3 is the run's lab, 2 a virtual 2-node lab of its own.</summary>
    public int LabServers { get; init; } = 3;

    /// <summary>
    /// The cluster DNS shape it is about: the built-in virtual lab is reshaped for it and back; a lab ChaosEdge did not
    /// build runs it only when it already has that shape (<see cref="ShapeMismatch"/>). Null: any shape.
    /// </summary>
    public DnsSettings? DnsShape { get; init; }

    /// <summary>
    /// Agents (workers) it needs: the built-in virtual lab gets a lab of 3 servers and this many agents for it; a lab
    /// ChaosEdge did not build runs it only when its inventory names that many (<see cref="AgentsMissing"/>).
    /// </summary>
    public int LabAgents { get; init; }

    /// <summary>Why it cannot run on a cluster of <paramref name="inventory"/>'s nodes, or <c>null</c> when it has the agents it needs.</summary>
    public string? AgentsMissing(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var agents = inventory.Nodes.Count(n => n.Role == NodeRole.Agent);
        return agents >= LabAgents ? null
            : $"'{Name}' faults an agent (worker) running the sample workload; this cluster's inventory names {(agents == 0 ? "no agents" : $"{agents} agent(s)")}, it needs {LabAgents}.";
    }

    /// <summary>
    /// Why its fault has no target on a cluster of <paramref name="inventory"/>'s shape, or <c>null</c> when it has one:
    /// with dedicated load-balancer nodes the control-plane VIP's holder runs no K3s, so there is no K3s to stop on it
    /// (stopping K3s on a server is the non-holder scenario's fault there); likewise a named node
    /// (<see cref="TargetRole.Node"/>) without K3s for a K3s stop, or outside etcd for an etcd member's loss.
    /// </summary>
    public string? TargetMissing(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        if (inventory.LoadBalancers.Any() && Definition.Target == TargetRole.VipHolder && Definition.Fault is FaultKind.KubeletStop or FaultKind.EtcdMemberLoss)
        {
            return $"'{Name}' stops K3s on the control-plane VIP's holder; in this cluster the VIP is held by its load-balancer nodes ({string.Join(", ", inventory.LoadBalancers.Select(n => n.Name))}), which run keepalived and HAProxy, not K3s.";
        }

        // A named node that is not in the inventory is a mistake in the scenario, not a shape of the cluster: the
        // target resolver refuses it, naming the inventory's nodes.
        if (Definition.Target == TargetRole.Node && inventory.Nodes.FirstOrDefault(n => n.Name == Definition.TargetNode) is { } node)
        {
            if (Definition.Fault == FaultKind.KubeletStop && !inventory.ClusterNodes.Contains(node))
            {
                return $"'{Name}' stops K3s on '{node.Name}', a {node.Role} node that runs no K3s.";
            }

            if (Definition.Fault == FaultKind.EtcdMemberLoss && !inventory.EtcdMembers.Contains(node))
            {
                return $"'{Name}' removes the etcd member of '{node.Name}', which is not one of this cluster's etcd members ({string.Join(", ", inventory.EtcdMembers.Select(n => n.Name))}).";
            }
        }

        return null;
    }

    /// <summary>It needs a lab of its own (a 2-server lab), so it runs on the built-in virtual lab only.</summary>
    public bool VirtualLabOnly => LabServers != 3;

    /// <summary>
    /// Why it cannot run on a cluster whose DNS is <paramref name="dns"/> without reshaping it, or <c>null</c> when it
    /// can: one replica for the single-replica scenario, several spread by anti-affinity for the HA one.
    /// </summary>
    public string? ShapeMismatch(DnsSettings dns)
    {
        ArgumentNullException.ThrowIfNull(dns);
        if (DnsShape is not { } shape || Fits(shape, dns))
        {
            return null;
        }

        return $"'{Name}' is about cluster DNS with {Describe(shape)}; this cluster's has {Describe(dns)} (its inventory's cluster.dns), and ChaosEdge reshapes only the virtual lab it builds itself.";
    }

    /// <summary>Whether the cluster is in the scenario's DNS shape already (replicas, and spread for the HA shape).</summary>
    public static bool Fits(DnsSettings wanted, DnsSettings actual)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(actual);
        return wanted.Replicas == 1 ? actual.Replicas == 1 : actual.Replicas >= 2 && actual.AntiAffinity == wanted.AntiAffinity;
    }

    private static string Describe(DnsSettings dns) =>
        dns.Replicas == 1 ? "one replica" : $"{dns.Replicas} replicas{(dns.AntiAffinity ? " spread by anti-affinity" : " not spread")}";

    /// <summary>The workload for this scenario in <paramref name="environment"/>, or null.</summary>
    public IScenarioWorkload? CreateWorkload(ScenarioEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Workload switch
        {
            WorkloadKind.WriteMarkersThroughVip => new WriteMarkers(environment.KubeConfig, new Dictionary<string, Uri> { ["vip"] = environment.KubeConfig.Server }, environment.Time),
            WorkloadKind.WriteMarkersOnEverySide => new WriteMarkers(environment.KubeConfig, environment.Inventory.ClusterNodes.ToDictionary(n => n.Name, n => new Uri($"https://{n.Address}:6443")), environment.Time)
            {
                DetectConflicts = true,
            },
            _ => null,
        };
    }
}
