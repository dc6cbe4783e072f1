using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Ssh;

namespace ChaosEdge.Scenarios;

/// <summary>The lab scenarios run against: inventory, shells, API access, SLA, its condition and journal.</summary>
public sealed record ScenarioEnvironment(
    LabInventory Inventory,
    IReadOnlyDictionary<string, INodeShell> Shells,
    KubeConfig KubeConfig,
    SlaDocument Sla,
    LabCondition Condition,
    string OutputDirectory)
{
    /// <summary>The journal faults are written to; the inventory's by default.</summary>
    public FaultJournal Journal { get; init; } = FaultJournal.For(Inventory);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where a scenario's run record and diagnostics go; null: <c>OutputDirectory/NAME</c>. One folder per trial when there are several.</summary>
    public string? RecordDirectory { get; init; }

    /// <summary>The folder of <paramref name="scenario"/>'s run record and diagnostics.</summary>
    public string RecordDirectoryOf(string scenario) => RecordDirectory ?? Path.Combine(OutputDirectory, scenario);

    /// <summary>Puts a client on the cluster's switch (<see cref="ISwitchClient"/>); null where there is none to put (a real lab).</summary>
    public Func<CancellationToken, Task<ISwitchClient>>? AttachClient { get; init; }
}
