namespace ChaosEdge.Scenarios;

/// <summary>The phases of a scenario, in order.</summary>
public enum ScenarioPhase
{
    HealthGate,
    Baseline,
    Inject,
    Observe,
    Restore,
    RecoveryGate,
    Analysis,
}

/// <summary>Receives a scenario's phases and steps (for the console, logs and Allure).</summary>
public interface IScenarioObserver
{
    /// <summary>A phase begins.</summary>
    void PhaseStarted(ScenarioPhase phase, string description);

    /// <summary>The phase ended (<paramref name="error"/> set when it failed).</summary>
    void PhaseEnded(ScenarioPhase phase, Exception? error);

    /// <summary>One line of progress.</summary>
    void Step(string line);

    /// <summary>About twice a second while the probes run: each probe's state now, for live displays.</summary>
    void ProbesNow(IReadOnlyList<LiveProbe> probes)
    {
    }
}

/// <summary>A probe's state at a glance.</summary>
/// <param name="Probe">The probe's name.</param>
/// <param name="Up">Whether its latest sample succeeded; null before its first sample.</param>
/// <param name="Samples">Samples taken so far.</param>
/// <param name="DownFor">How long its latest samples have been failing (within the recent ones); zero when up.</param>
public sealed record LiveProbe(string Probe, bool? Up, int Samples, TimeSpan DownFor);
