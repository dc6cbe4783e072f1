using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// One independent measurement. The <see cref="ProbeRunner"/> calls <see cref="SampleAsync"/> at the probe's cadence
/// without waiting for the previous call, so each call must end by itself within the series' timeout.
/// </summary>
public interface IProbe : IAsyncDisposable
{
    /// <summary>The probe's name, kind, target, cadence and timeout, and where its samples go.</summary>
    ProbeSeries Series { get; }

    /// <summary>Takes one sample, sent at <paramref name="sentAt"/> (a timestamp of <paramref name="clock"/>).</summary>
    ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken);
}

/// <summary>A probe that has to set something up (a monitor on the nodes) before its first sample.</summary>
public interface IStartableProbe : IProbe
{
    /// <summary>Prepares the probe; the runner takes no sample before this completes.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether the probe records its own samples (a node-side agent streaming them); the runner then does not tick it.</summary>
    bool SamplesItself => false;
}
