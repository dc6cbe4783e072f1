using ChaosEdge.Faults.Journal;

namespace ChaosEdge.Faults;

/// <summary>
/// One fault against one lab: inject, verify it took effect, restore, verify restored. Restore and its verification
/// are idempotent and work from the journal record alone, so a fault can be undone by another process after a crash.
/// </summary>
public interface IFault
{
    /// <summary>What the journal keeps of this fault.</summary>
    FaultRecord Record { get; }

    /// <summary>One line for people: <c>power-off of 'edge-1' (IPMI BMC 198.18.128.11)</c>.</summary>
    string Description { get; }

    /// <summary>Nodes the harness cannot rely on while the fault is applied (no node-side probes there).</summary>
    IReadOnlyCollection<string> UnreachableNodes { get; }

    /// <summary>etcd members (server names) the fault takes out of the quorum, for the blast-radius guard.</summary>
    IReadOnlyCollection<string> EtcdMembersLost(Inventory.LabInventory inventory);

    /// <summary>Applies the fault.</summary>
    Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default);

    /// <summary>Checks the fault is in effect and returns the monotonic timestamp (<see cref="FaultContext.Time"/>) at which it took effect.</summary>
    Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default);

    /// <summary>Undoes the fault (or waits for the node-side timer that does).</summary>
    Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default);

    /// <summary>Checks the fault is gone.</summary>
    Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default);
}
