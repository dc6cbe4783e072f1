using ChaosEdge.Errors;
using ChaosEdge.Scenarios;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Scenarios;

/// <summary>Steps that only record what was asked of them, and when, on a <see cref="ManualClock"/>.</summary>
internal sealed class FakeSteps(ManualClock clock) : IScenarioSteps
{
    public List<string> Calls { get; } = [];

    /// <summary>The probes count as recovered this long after the fault took effect; null: never.</summary>
    public TimeSpan? RecoveredAfter { get; init; }

    /// <summary>Replaces <see cref="RecoveredAfter"/>: given the hold so far, whether recovered (or throws).</summary>
    public Func<TimeSpan, bool>? OnRecovered { get; init; }

    public bool HealthGateTimesOut { get; init; }

    public bool RecoveryGateTimesOut { get; init; }

    public bool RestoreFails { get; init; }

    public long TookEffect { get; private set; }

    public TimeSpan InjectedAt { get; private set; }

    public TimeSpan RestoredAt { get; private set; }

    public TimeSpan StoppedAt { get; private set; }

    /// <summary>How long the fault was held when its restore began.</summary>
    public TimeSpan Held { get; private set; }

    public FaultWindow Window { get; private set; }

    private TimeSpan Now => clock.GetElapsedTime(0);

    private ManualClock Clock => clock;

    public Task HealthGateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var first = !Calls.Contains("prepare");
        Calls.Add($"health-gate {timeout}");
        if (first ? HealthGateTimesOut : RecoveryGateTimesOut)
        {
            throw new GateTimeoutException("The cluster", "be healthy", timeout, "node 'n2' NotReady");
        }

        return Task.CompletedTask;
    }

    public Task<string> PrepareAsync(CancellationToken cancellationToken)
    {
        Calls.Add("prepare");
        return Task.FromResult("fake fault on 'n1'");
    }

    public Task StartProbesAsync(CancellationToken cancellationToken)
    {
        Calls.Add("start-probes");
        return Task.CompletedTask;
    }

    public Task BaselineReadyAsync(CancellationToken cancellationToken)
    {
        Calls.Add("baseline-ready");
        return Task.CompletedTask;
    }

    public Task<IAppliedFault> InjectAsync(CancellationToken cancellationToken)
    {
        Calls.Add("inject");
        InjectedAt = Now;
        TookEffect = clock.GetTimestamp();
        return Task.FromResult<IAppliedFault>(new Applied(this));
    }

    public bool Recovered(long since)
    {
        var held = clock.GetElapsedTime(since);
        return OnRecovered is { } decide ? decide(held) : RecoveredAfter is { } after && held >= after;
    }

    public Task StopProbesAsync()
    {
        Calls.Add("stop-probes");
        StoppedAt = Now;
        return Task.CompletedTask;
    }

    public Task DiagnoseAsync()
    {
        Calls.Add("diagnose");
        return Task.CompletedTask;
    }

    public Task VerifyAsync(FaultWindow window, CancellationToken cancellationToken)
    {
        Calls.Add("verify");
        Window = window;
        return Task.CompletedTask;
    }

    public Task AnalyseAsync(TimeSpan recoveryGate, CancellationToken cancellationToken)
    {
        Calls.Add("analyse");
        return Task.CompletedTask;
    }

    private sealed class Applied(FakeSteps steps) : IAppliedFault
    {
        private bool restored;

        public long TookEffect => steps.TookEffect;

        public Task RestoreAsync(CancellationToken cancellationToken)
        {
            steps.Calls.Add("restore");
            Restore();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!restored)
            {
                steps.Calls.Add("dispose-restore");
                Restore();
            }

            return ValueTask.CompletedTask;
        }

        private void Restore()
        {
            steps.RestoredAt = steps.Now;
            steps.Held = steps.Clock.GetElapsedTime(steps.TookEffect);
            if (steps.RestoreFails)
            {
                throw new FaultRevertException("Restoring fake fault on 'n1' failed: the power cannot come back.");
            }

            restored = true;
        }
    }
}

/// <summary>An observer that keeps what it was told.</summary>
internal sealed class RecordingObserver : IScenarioObserver
{
    public List<string> Events { get; } = [];

    public List<string> Steps { get; } = [];

    /// <summary>Each phase's last end, with its error (null when it succeeded).</summary>
    public Dictionary<ScenarioPhase, Exception?> Ended { get; } = [];

    public void PhaseStarted(ScenarioPhase phase, string description) => Events.Add($"start {phase}");

    public void PhaseEnded(ScenarioPhase phase, Exception? error)
    {
        Events.Add($"end {phase}");
        Ended[phase] = error;
    }

    public void Step(string line) => Steps.Add(line);
}
