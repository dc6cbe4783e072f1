using ChaosEdge.Faults.EtcdMemberLoss;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Faults.KubeletStop;
using ChaosEdge.Faults.NicDown;
using ChaosEdge.Faults.Partition;
using ChaosEdge.Faults.PowerOff;

namespace ChaosEdge.Faults;

/// <summary>Builds faults: new ones for a scenario, or from a journal record to undo one.</summary>
public static class FaultFactory
{
    /// <summary>A new fault of <paramref name="kind"/> against <paramref name="targets"/> (for a partition, one side; <paramref name="peers"/> the other).</summary>
    public static IFault Create(FaultKind kind, IReadOnlyList<string> targets, TimeSpan duration, TimeProvider time, IReadOnlyList<string>? peers = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(time);
        var needsPeers = FaultTraits.For(kind).NeedsPeers;
        if (targets.Count == 0 || (!needsPeers && targets.Count != 1))
        {
            throw new ArgumentException($"A {kind} fault has {(needsPeers ? "one or more targets" : "exactly one target")}.", nameof(targets));
        }

        if (needsPeers && (peers is null || peers.Count == 0 || peers.Intersect(targets).Any()))
        {
            throw new ArgumentException("A partition needs a second, disjoint group of nodes.", nameof(peers));
        }

        return FromRecord(FaultRecord.Create(kind, targets, peers ?? [], duration, time.GetUtcNow()));
    }

    /// <summary>The fault a journal record describes.</summary>
    public static IFault FromRecord(FaultRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Kind switch
        {
            FaultKind.PowerOff => new PowerOffFault(record),
            FaultKind.KubeletStop => new KubeletStopFault(record),
            FaultKind.NicDown => new NicDownFault(record),
            FaultKind.EtcdMemberLoss => new EtcdMemberLossFault(record),
            FaultKind.Partition => new PartitionFault(record),
            _ => throw new ArgumentOutOfRangeException(nameof(record), record.Kind, "Unknown fault kind."),
        };
    }
}
