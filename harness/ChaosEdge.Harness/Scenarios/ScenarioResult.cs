using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Scenarios;

/// <summary>What a scenario measured and how it was judged.</summary>
/// <param name="Definition">The scenario.</param>
/// <param name="Target">The node(s) faulted.</param>
/// <param name="FaultDescription">The fault, in words.</param>
/// <param name="Timeline">Every sample and event.</param>
/// <param name="Figures">Per-probe figures over the whole run.</param>
/// <param name="Verdicts">SLA verdicts.</param>
/// <param name="Record">The run record (<c>chaosedge.run/1</c>).</param>
/// <param name="RecoveryGate">How long the recovery gate took after the restore was verified.</param>
/// <param name="Notes">Further checks (workload results), each one line.</param>
public sealed record ScenarioResult(
    ScenarioDefinition Definition,
    IReadOnlyList<string> Target,
    string FaultDescription,
    RunTimeline Timeline,
    IReadOnlyList<ProbeFigures> Figures,
    IReadOnlyList<SlaVerdict> Verdicts,
    JsonObject Record,
    TimeSpan RecoveryGate,
    IReadOnlyList<string> Notes)
{
    /// <summary>What the workload's check found lost or conflicting after recovery; null when nothing was.</summary>
    public string? DataLoss { get; init; }

    /// <summary>The switch client's ARP timings when the scenario probed from one (<see cref="ScenarioDefinition.ClientProbe"/>).</summary>
    public ClientArpTimings? ClientArp { get; init; }

    /// <summary>Every verdict passed (an inconclusive one does not) and no acknowledged write was lost.</summary>
    public bool Passed => DataLoss is null && Verdicts.All(v => v.Outcome == SlaOutcome.Pass);

    /// <summary>The figures of one probe.</summary>
    public ProbeFigures Probe(string name) => Figures.First(f => f.Probe == name);
}
