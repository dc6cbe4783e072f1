using System.Runtime.CompilerServices;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Runs probes at their cadence on the timeline's clock. A sample is started on every due tick whether or not the
/// previous one has answered (each ends by its own timeout), so a hanging connection can never hide an outage — up to
/// the probe's <see cref="ProbeSeries.MaxInFlight"/>: a tick that finds that many samples still waiting is not sent. A
/// tick the runner itself could not honour (the process was stalled, or the probe was full) shows up as missed samples
/// in the analysis, not as a fake outage, and never as a queue. One timer at the shortest cadence drives every probe: fewer wake-ups, less CPU taken from the run.
/// </summary>
public sealed class ProbeRunner(RunTimeline timeline)
{
    private long inFlight;
    private long recordFrom;

    /// <summary>
    /// How long the probes run before their samples are recorded (default 0): the first samples of a cold process pay for
    /// the JIT and for opening connection pools, which says nothing about the cluster.
    /// </summary>
    public TimeSpan WarmUp { get; init; }

    /// <summary>The timestamp from which samples are recorded (the end of the warm-up); valid once <see cref="RunAsync"/> has started sampling.</summary>
    public long RecordingStarted => Interlocked.Read(ref recordFrom);

    /// <summary>Samples every probe until <paramref name="cancellationToken"/> is cancelled or <paramref name="duration"/> passes, then waits for samples in flight.</summary>
    public async Task RunAsync(IReadOnlyList<IProbe> probes, TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(probes);
        if (probes.Count == 0)
        {
            return;
        }

        foreach (var probe in probes)
        {
            timeline.Add(probe.Series);
        }

        // One at a time: a node-side probe calibrates its clock mapping by round-trips, which other start-up work would slow.
        foreach (var probe in probes.OfType<IStartableProbe>())
        {
            await probe.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var clock = timeline.Clock;
        var tick = probes.Min(p => p.Series.Interval);
        var intervals = probes.Select(p => (long)(p.Series.Interval.TotalSeconds * clock.TimestampFrequency)).ToArray();
        var slack = (long)(tick.TotalSeconds * clock.TimestampFrequency) / 2;
        var due = new long[probes.Count];
        var inFlightPerProbe = new int[probes.Count];
        var ticked = probes.Select(p => p is not IStartableProbe { SamplesItself: true }).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d + WarmUp);
        }

        // Disposing the timer ends the wait; not passing the token to every wait keeps each tick free of allocations.
        Interlocked.Exchange(ref recordFrom, clock.GetTimestamp() + (long)(WarmUp.TotalSeconds * clock.TimestampFrequency));
        using var timer = new PeriodicTimer(tick, clock);
        await using (stop.Token.Register(timer.Dispose).ConfigureAwait(false))
        {
            do
            {
                var now = clock.GetTimestamp();
                for (var i = 0; i < probes.Count; i++)
                {
                    if (!ticked[i])
                    {
                        continue;
                    }

                    // A probe slower than the tick is due when its next slot falls within half a tick.
                    if (now + slack >= due[i])
                    {
                        due[i] = Math.Max(due[i] + intervals[i], now + intervals[i] - slack);
                        if (Volatile.Read(ref inFlightPerProbe[i]) >= probes[i].Series.MaxInFlight)
                        {
                            probes[i].Series.CountTickNotSent();
                            continue;
                        }

                        Interlocked.Increment(ref inFlightPerProbe[i]);
                        Interlocked.Increment(ref inFlight);
                        _ = SampleAsync(probes[i], now, inFlightPerProbe, i);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false));
        }

        while (Interlocked.Read(ref inFlight) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), clock, CancellationToken.None).ConfigureAwait(false);
        }
    }

    // Pooled state machines: a sample that has to wait costs no allocation of the runner's own.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SampleAsync(IProbe probe, long sentAt, int[] inFlightPerProbe, int index)
    {
        try
        {
            // Samples in flight finish after a stop (bounded by their timeout): the last ones are data too.
            var sample = await probe.SampleAsync(sentAt, timeline.Clock, CancellationToken.None).ConfigureAwait(false);
            if (sentAt >= Interlocked.Read(ref recordFrom))
            {
                probe.Series.Samples.Add(sample);
            }
        }
        finally
        {
            Interlocked.Decrement(ref inFlightPerProbe[index]);
            Interlocked.Decrement(ref inFlight);
        }
    }
}
