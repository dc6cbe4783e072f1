namespace ChaosEdge.Scenarios;

/// <summary>
/// The work of a scenario's phases, which <see cref="ScenarioPhases"/> runs in order with the hold, the timeouts and the
/// restore guarantee around it: the lab's steps in <see cref="ScenarioRunner"/>, fakes in unit tests.
/// </summary>
public interface IScenarioSteps
{
    /// <summary>Waits up to <paramref name="timeout"/> for a healthy cluster.</summary>
    /// <exception cref="Errors.GateTimeoutException">It was not healthy in time.</exception>
    Task HealthGateAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Resolves the targets and builds the fault and the probes; returns the fault's description.</summary>
    Task<string> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Starts the probes (and whatever follows them); <see cref="StopProbesAsync"/> is called once this returned.</summary>
    Task StartProbesAsync(CancellationToken cancellationToken);

    /// <summary>Waits until the probes record, then starts the workload; the baseline is measured from then.</summary>
    Task BaselineReadyAsync(CancellationToken cancellationToken);

    /// <summary>Injects the fault and verifies it took effect (restoring what was applied when that fails).</summary>
    Task<IAppliedFault> InjectAsync(CancellationToken cancellationToken);

    /// <summary>Whether the recovery probes recovered after <paramref name="since"/> (a timestamp of the run's clock).</summary>
    bool Recovered(long since);

    /// <summary>Stops the probes, the workload and the client: after the fault's end, or on the way out of a failed run.</summary>
    Task StopProbesAsync();

    /// <summary>What the nodes say, when the cluster did not recover.</summary>
    Task DiagnoseAsync();

    /// <summary>Checks what the workload and the volume wrote during <paramref name="window"/> (data loss is a finding, not an exception).</summary>
    Task VerifyAsync(FaultWindow window, CancellationToken cancellationToken);

    /// <summary>Analyses the timeline and judges it against the SLA.</summary>
    Task AnalyseAsync(TimeSpan recoveryGate, CancellationToken cancellationToken);
}

/// <summary>A fault in effect, until restored; disposing it unrestored restores it (<see cref="Faults.FaultSession"/>).</summary>
public interface IAppliedFault : IAsyncDisposable
{
    /// <summary>When it took effect (a timestamp of the run's clock).</summary>
    long TookEffect { get; }

    /// <summary>Restores the fault and verifies it.</summary>
    /// <exception cref="Errors.FaultRevertException">It could not be restored.</exception>
    Task RestoreAsync(CancellationToken cancellationToken);
}
