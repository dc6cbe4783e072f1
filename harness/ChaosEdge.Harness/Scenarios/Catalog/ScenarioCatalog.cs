using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Inventory;

namespace ChaosEdge.Scenarios.Catalog;

/// <summary>
/// Every scenario ChaosEdge runs, by suite, in the order a run takes them: Failover, Etcd, SplitBrain, Dns, Storage, Workload, Client. Each
/// scenario's name is its key in the SLA file.
/// </summary>
public static class ScenarioCatalog
{
    public const string Failover = "Failover";
    public const string Etcd = "Etcd";
    public const string SplitBrain = "SplitBrain";
    public const string Dns = "Dns";
    public const string Storage = "Storage";
    public const string Workload = "Workload";
    public const string Client = "Client";

    /// <summary>The cluster DNS probe of every node the fault leaves running, whatever the nodes are called.</summary>
    private static readonly string[] DnsProbes = ["dns-*"];
    private static readonly string[] VolumeProbes = ["volume-write"];

    /// <summary>The suites in run order.</summary>
    public static IReadOnlyList<string> Suites { get; } = [Failover, Etcd, SplitBrain, Dns, Storage, Workload, Client];

    public static IReadOnlyList<CatalogScenario> All { get; } =
    [
        new(Failover, "Power-off of the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.VipHolder }),
        new(Failover, "Kubelet stop on the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-kubelet-stop", Fault = FaultKind.KubeletStop, Target = TargetRole.VipHolder }),
        new(Failover, "NIC down on the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.VipHolder, MaximumHold = TimeSpan.FromSeconds(15) }),
        new(Failover, "Power-off of a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.NonHolder }),
        new(Failover, "Kubelet stop on a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-kubelet-stop", Fault = FaultKind.KubeletStop, Target = TargetRole.NonHolder }),
        new(Failover, "NIC down on a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.NonHolder, MaximumHold = TimeSpan.FromSeconds(15) }),

        new(Etcd, "Losing an etcd follower keeps writes available and loses no acknowledged write",
            new ScenarioDefinition { Name = "etcd-follower-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdFollower, MaximumHold = TimeSpan.FromSeconds(12) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },
        new(Etcd, "Losing the etcd leader elects a new one and loses no acknowledged write",
            new ScenarioDefinition { Name = "etcd-leader-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdLeader, MaximumHold = TimeSpan.FromSeconds(12) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },

        new(SplitBrain, "A partitioned two-node cluster acknowledges no conflicting writes and converges after the heal",
            new ScenarioDefinition
            {
                Name = "two-node-split-brain", Fault = FaultKind.Partition, Target = TargetRole.VipHolder, QuorumLossIntended = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = [],
            })
        {
            Workload = WorkloadKind.WriteMarkersOnEverySide, LabServers = 2,
        },
        new(SplitBrain, "A non-holder cut off from the other two leaves the majority serving",
            new ScenarioDefinition { Name = "one-vs-two-partition", Fault = FaultKind.Partition, Target = TargetRole.NonHolder, MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(15) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },

        new(Dns, "With K3s's default single DNS replica, DNS is gone until the pod is evicted and rescheduled",
            new ScenarioDefinition
            {
                Name = "dns-default-shape", Fault = FaultKind.PowerOff, Target = TargetRole.DnsReplicaNode,
                MinimumHold = TimeSpan.FromSeconds(5), MaximumHold = TimeSpan.FromSeconds(90), RecoveryProbes = DnsProbes,
            })
        {
            DnsShape = new DnsSettings(1, AntiAffinity: false, PodDisruptionBudget: false),
        },
        new(Dns, "With three DNS replicas spread across nodes, DNS survives the loss of a node",
            new ScenarioDefinition
            {
                Name = "dns-ha-shape", Fault = FaultKind.PowerOff, Target = TargetRole.DnsReplicaNode,
                MinimumHold = TimeSpan.FromSeconds(12), MaximumHold = TimeSpan.FromSeconds(30), RecoveryProbes = DnsProbes,
            })
        {
            DnsShape = new DnsSettings(3, AntiAffinity: true, PodDisruptionBudget: true),
        },

        new(Storage, "Power-off of a replica-only node stalls volume writes for the engine-replica timeout, then the volume runs degraded, rebuilds and loses nothing",
            new ScenarioDefinition
            {
                Name = "replica-node-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ReplicaOnlyNode,
                MinimumHold = TimeSpan.FromSeconds(12), MaximumHold = TimeSpan.FromSeconds(20), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
            }),
        new(Storage, "NIC down on a replica-only node stalls volume writes for the engine-replica timeout, then the volume runs degraded, rebuilds and loses nothing",
            new ScenarioDefinition
            {
                Name = "replica-node-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.ReplicaOnlyNode,
                MaximumHold = TimeSpan.FromSeconds(15), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
            }),
        new(Storage, "Power-off of the engine's node takes the volume away until its node returns, and loses no acknowledged write",
            new ScenarioDefinition
            {
                Name = "engine-node-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.EngineNode,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
                AfterRestore = TimeSpan.FromSeconds(30),
            }),
        new(Storage, "NIC down on the engine's node cuts the volume off until the link returns, and loses no acknowledged write",
            new ScenarioDefinition
            {
                Name = "engine-node-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.EngineNode,
                MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
                AfterRestore = TimeSpan.FromSeconds(10),
            }),

        new(Workload, "Power-off of an agent running the sample workload: its replicas are Ready elsewhere and the service VIP serves within the SLA",
            new ScenarioDefinition
            {
                Name = "agent-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.WorkloadAgent, WorkloadProbe = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(75), RecoveryProbes = ["workload-ready", "service-vip-tcp"],
            })
        {
            LabAgents = 1,
        },

        new(Client, "A client on the switch follows the service VIP's move by gratuitous ARP when its holder is powered off",
            new ScenarioDefinition
            {
                Name = "client-service-vip-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ServiceVipHolder, ClientProbe = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(30), RecoveryProbes = ["client-tcp", "service-vip-tcp", "vip-tcp"],
            }),
        new(Client, "Behind a switch's ARP guard a client loses the service VIP until its ARP cache expires, whatever the cluster does",
            new ScenarioDefinition
            {
                Name = "client-arp-guard-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ServiceVipHolder, ClientProbe = true, ArpGuard = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(75), RecoveryProbes = ["client-tcp", "service-vip-tcp", "vip-tcp"],
            }),
    ];

    /// <summary>The scenario named <paramref name="name"/>.</summary>
    public static CatalogScenario Get(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ChaosEdgeException($"There is no scenario '{name}'. Scenarios: {string.Join(", ", All.Select(s => s.Name))}.");

    /// <summary>
    /// The scenarios a filter selects, in run order: suite names and scenario names, comma-separated, case-insensitive
    /// (<c>Failover</c>, <c>Etcd,dns-ha-shape</c>); everything when empty.
    /// </summary>
    public static IReadOnlyList<CatalogScenario> Select(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return All;
        }

        var terms = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = terms.Where(t => !Suites.Contains(t, StringComparer.OrdinalIgnoreCase) && !All.Any(s => string.Equals(s.Name, t, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new ChaosEdgeException($"The filter names no suite or scenario '{string.Join("', '", unknown)}'. Suites: {string.Join(", ", Suites)}; scenarios: {string.Join(", ", All.Select(s => s.Name))}.");
        }

        return [.. All.Where(s => terms.Any(t => string.Equals(t, s.Suite, StringComparison.OrdinalIgnoreCase) || string.Equals(t, s.Name, StringComparison.OrdinalIgnoreCase)))];
    }
}
