using ChaosEdge.Faults.PowerOff;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Faults;

/// <summary>What a fault works with: the lab, a shell per node, the clock and a place to report steps.</summary>
public sealed class FaultContext(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, TimeProvider? time = null, Action<string>? report = null)
{
    public LabInventory Inventory { get; } = inventory;

    public IReadOnlyDictionary<string, INodeShell> Shells { get; } = shells;

    /// <summary>The monotonic clock every fault instant is stamped on (the timeline's).</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>The power controller of a node; by default its BMC's (IPMI or Redfish).</summary>
    public Func<NodeSpec, IPowerController> PowerController { get; init; } = PowerControllers.For;

    /// <summary>Reports one step to people (progress, logs, Allure steps).</summary>
    public void Report(string line) => report?.Invoke(line);

    /// <summary>The shell of <paramref name="node"/>.</summary>
    public INodeShell Shell(string node) =>
        Shells.TryGetValue(node, out var shell) ? shell : throw new Errors.ChaosEdgeException($"No shell for node '{node}'.");
}
