using ChaosEdge.Faults;

namespace ChaosEdge.Scenarios;

/// <summary>Which node a scenario faults, chosen when it starts.</summary>
public enum TargetRole
{
    /// <summary>The server holding the control-plane VIP.</summary>
    VipHolder,

    /// <summary>A server not holding the VIP.</summary>
    NonHolder,

    /// <summary>The etcd Raft leader.</summary>
    EtcdLeader,

    /// <summary>An etcd follower that does not hold the VIP.</summary>
    EtcdFollower,

    /// <summary>The node running the (first) cluster DNS replica.</summary>
    DnsReplicaNode,

    /// <summary>Every server but the VIP holder: one side of a partition (the VIP holder alone on the other).</summary>
    AllButVipHolder,

    /// <summary>A node holding a replica of the volume but not its engine.</summary>
    ReplicaOnlyNode,

    /// <summary>The node running the volume's engine (where its block device is).</summary>
    EngineNode,

    /// <summary>An agent (worker) running a replica of the sample workload, <c>default/edge-app</c>.</summary>
    WorkloadAgent,

    /// <summary>The node answering for the sample workload's service VIP (carrying it, or announcing it by ARP).</summary>
    ServiceVipHolder,

    /// <summary>A node named in the scenario (<see cref="ScenarioDefinition.TargetNode"/>).</summary>
    Node,

    /// <summary>The node running a Ready pod that matches <see cref="ScenarioDefinition.TargetPods"/> (the first by node name).</summary>
    PodNode,
}

/// <summary>Pods chosen by a label selector in one namespace (<c>app=node-red</c> in <c>default</c>).</summary>
public sealed record PodSelector(string Namespace, string Selector)
{
    public override string ToString() => $"{Namespace}/{Selector}";
}

/// <summary>One scenario: one fault against one role, with the windows around it.</summary>
public sealed record ScenarioDefinition
{
    /// <summary>The scenario's key in the SLA file, such as <c>vip-holder-power-off</c>.</summary>
    public required string Name { get; init; }

    public required FaultKind Fault { get; init; }

    public required TargetRole Target { get; init; }

    /// <summary>With <see cref="TargetRole.Node"/>: the node's name in the inventory.</summary>
    public string? TargetNode { get; init; }

    /// <summary>With <see cref="TargetRole.PodNode"/>: the pods whose node is faulted.</summary>
    public PodSelector? TargetPods { get; init; }

    /// <summary>The campaign's own probes this scenario adds (TCP connect, HTTP GET, request/response), measured and judged like the built-in ones.</summary>
    public IReadOnlyList<Measurement.Probes.ApplicationProbeSpec> ApplicationProbes { get; init; } = [];

    /// <summary>How many times the scenario runs (with a recovery gate between trials); its verdicts are judged on the distribution when more than one.</summary>
    public int Trials { get; init; } = 1;

    /// <summary>Probing before the fault, as the baseline.</summary>
    public TimeSpan Baseline { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The fault stays at least this long.</summary>
    public TimeSpan MinimumHold { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The fault is restored at the latest after this (a NIC-down fault always lasts exactly this: its timer is on the node).</summary>
    public TimeSpan MaximumHold { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Probes that must have recovered (5 successes in a row after the fault) before the fault is restored early.</summary>
    public IReadOnlyList<string> RecoveryProbes { get; init; } = ["vip-tcp", "api-readyz-fresh"];

    /// <summary>Probing after the restore (the node's return: rejoin, preemption, healing).</summary>
    public TimeSpan AfterRestore { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The scenario tests losing etcd quorum (the blast-radius guard lets it).</summary>
    public bool QuorumLossIntended { get; init; }

    /// <summary>
    /// How often the volume probe writes (where the cluster has a volume): every 500 ms — enough to see a stall and to
    /// check nothing is lost, light enough not to load a small harness — and every 20 ms in the storage scenarios.
    /// </summary>
    public TimeSpan VolumeProbeInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Adds the <c>workload-ready</c> probe: the sample workload's replicas Ready on nodes that are up, through the API
    /// every 500 ms (<see cref="Measurement.Probes.WorkloadReadyProbe"/>).
    /// </summary>
    public bool WorkloadProbe { get; init; }

    /// <summary>
    /// Puts a client on the cluster's switch (<see cref="ISwitchClient"/>) and adds <c>client-tcp</c>: its request/response
    /// to the service VIP every 100 ms (<see cref="Measurement.Probes.ClientRequestProbe"/>). Needs the virtual lab.
    /// </summary>
    public bool ClientProbe { get; init; }

    /// <summary>With <see cref="ClientProbe"/>: the switch drops gratuitous ARP for the service VIP towards the client for the whole scenario.</summary>
    public bool ArpGuard { get; init; }

    /// <summary>How long the recovery gate waits for full health after the restore.</summary>
    public TimeSpan RecoveryGateTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
