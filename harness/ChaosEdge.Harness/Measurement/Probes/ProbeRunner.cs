using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Runs probes at their cadence on the timeline's clock. A sample is started on every tick whether or not the previous
/// one has answered (each ends by its own timeout), so a hanging connection can never hide an outage. A tick the runner
/// itself could not honour (the process was stalled) shows up as missed samples in the analysis, not as a fake outage.
/// </summary>
public sealed class ProbeRunner(RunTimeline timeline)
{
    private long inFlight;

    /// <summary>Samples every probe until <paramref name="cancellationToken"/> is cancelled or <paramref name="duration"/> passes, then waits for samples in flight.</summary>
    public async Task RunAsync(IReadOnlyList<IProbe> probes, TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(probes);
        foreach (var probe in probes)
        {
            timeline.Add(probe.Series);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d);
        }

        await Task.WhenAll(probes.Select(p => Task.Run(() => LoopAsync(p, stop.Token), CancellationToken.None))).ConfigureAwait(false);
        while (Interlocked.Read(ref inFlight) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), timeline.Clock, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(IProbe probe, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(probe.Series.Interval, timeline.Clock);
        try
        {
            do
            {
                Interlocked.Increment(ref inFlight);
                _ = SampleAsync(probe, timeline.Clock.GetTimestamp());
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SampleAsync(IProbe probe, long sentAt)
    {
        try
        {
            // Samples in flight finish after a stop (bounded by their timeout): the last ones are data too.
            var sample = await probe.SampleAsync(sentAt, timeline.Clock, CancellationToken.None).ConfigureAwait(false);
            probe.Series.Samples.Add(sample);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }
}
