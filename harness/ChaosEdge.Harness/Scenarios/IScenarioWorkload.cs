namespace ChaosEdge.Scenarios;

/// <summary>Work a scenario does against the cluster while it is faulted (write markers), checked after recovery.</summary>
public interface IScenarioWorkload
{
    /// <summary>Starts before the baseline window.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops when the fault is restored and probing ends.</summary>
    Task StopAsync();

    /// <summary>
    /// After the recovery gate: checks the outcome against the time the fault was in effect; returns one line per
    /// finding and throws when data was lost.
    /// </summary>
    Task<IReadOnlyList<string>> VerifyAsync(FaultWindow fault, CancellationToken cancellationToken = default);
}

/// <summary>
/// When a scenario's fault was in effect, as timestamps of the scenario environment's <see cref="TimeProvider"/>:
/// from the moment its effect was verified to the moment its restore began.
/// </summary>
public readonly record struct FaultWindow(long TookEffect, long RestoreStarted);
