namespace ChaosEdge.Faults;

/// <summary>
/// What differs between faults for the run that holds one: who ends it, what it needs besides its targets, and how it
/// takes effect. The scenario runner asks these instead of comparing <see cref="FaultKind"/>s.
/// </summary>
/// <param name="RestoredByNodeTimer">
/// A timer armed on the node ends the fault, whatever the harness does (the harness cannot reach the node meanwhile):
/// it lasts exactly its duration, and the harness's restore only waits for that moment and verifies it.
/// </param>
/// <param name="NeedsPeers">The fault has a second, disjoint group of nodes: the other side of a partition.</param>
/// <param name="TakesEffect">How it takes effect, in words, for people.</param>
public sealed record FaultTraits(bool RestoredByNodeTimer, bool NeedsPeers, string TakesEffect)
{
    /// <summary>How long after the harness's own restore is due a node-side timer acts as a safety net (1 min).</summary>
    public static readonly TimeSpan SafetyNet = TimeSpan.FromMinutes(1);

    /// <summary>The traits of <paramref name="kind"/>.</summary>
    public static FaultTraits For(FaultKind kind) => kind switch
    {
        FaultKind.PowerOff => new(false, false, "the node's power is cut through its BMC"),
        FaultKind.KubeletStop => new(false, false, "the node's Kubernetes service stops; its pods keep running"),
        FaultKind.NicDown => new(true, false, "the node's primary NIC goes down until a timer on the node brings it up"),
        FaultKind.EtcdMemberLoss => new(false, false, "the node's etcd member is removed and its data wiped"),
        FaultKind.Partition => new(false, true, "nftables rules on both sides drop the traffic between the targets and their peers"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown fault kind."),
    };

    /// <summary>
    /// The duration the fault is built with for a hold of at most <paramref name="maximumHold"/>: exactly that when a
    /// node-side timer ends it; otherwise that plus <see cref="SafetyNet"/>, so a node-side timer (a partition's) stays
    /// a safety net behind the harness's restore.
    /// </summary>
    public TimeSpan Duration(TimeSpan maximumHold) => RestoredByNodeTimer ? maximumHold : maximumHold + SafetyNet;
}
