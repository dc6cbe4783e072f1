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
}
