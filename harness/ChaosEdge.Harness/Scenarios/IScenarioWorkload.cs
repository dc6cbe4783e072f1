namespace ChaosEdge.Scenarios;

/// <summary>Work a scenario does against the cluster while it is faulted (write markers), checked after recovery.</summary>
public interface IScenarioWorkload
{
    /// <summary>Starts before the baseline window.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops when the fault is restored and probing ends.</summary>
    Task StopAsync();

    /// <summary>After the recovery gate: checks the outcome; returns one line per finding and throws when data was lost.</summary>
    Task<IReadOnlyList<string>> VerifyAsync(CancellationToken cancellationToken = default);
}
