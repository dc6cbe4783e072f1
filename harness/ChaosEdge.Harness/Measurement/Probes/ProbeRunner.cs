using System.Runtime.CompilerServices;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Runs probes at their cadence on the timeline's clock. A sample is started on every due tick whether or not the
/// previous one has answered (each ends by its own timeout), so a hanging connection can never hide an outage — up to
/// the probe's <see cref="ProbeSeries.MaxInFlight"/>: a tick that finds that many samples still waiting is not sent. A
/// tick the runner itself could not honour (the process was stalled, or the probe was full) shows up as missed samples
/// in the analysis, not as a fake outage, and never as a queue. One thread ticking at the shortest cadence drives every probe: fewer wake-ups, less CPU taken from the run, and no tick queued behind the harness's other work.
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
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d + WarmUp);
        }

        Interlocked.Exchange(ref recordFrom, clock.GetTimestamp() + (long)(WarmUp.TotalSeconds * clock.TimestampFrequency));

        // The ticks come from a thread of their own, not from a timer on the thread pool: the harness's other work (a
        // burst of JIT compilation when a fault's code runs for the first time, SSH and API calls) must not delay a
        // tick behind it in the pool's queue, nor share a core's time equally with it.
        var ticking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ticker = new Thread(() =>
        {
            try
            {
                Tick(probes, tick, stop.Token);
                ticking.SetResult();
            }
            catch (Exception e)
            {
                ticking.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "probe ticks",
        };
        ticker.Start();
        await ticking.Task.ConfigureAwait(false);

        while (Interlocked.Read(ref inFlight) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), clock, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The ticking loop, on its own thread with a raised scheduling priority (where the harness may raise it): every
    /// <paramref name="tick"/> on the timeline's clock it starts a sample of each probe that is due. A tick the thread
    /// could not keep (the harness was paused) is skipped, not made up for.
    /// </summary>
    private void Tick(IReadOnlyList<IProbe> probes, TimeSpan tick, CancellationToken stop)
    {
        ThreadScheduling.RaiseCurrentThread();
        var clock = timeline.Clock;
        var frequency = clock.TimestampFrequency;
        var tickTicks = Math.Max(1, (long)(tick.TotalSeconds * frequency));
        var intervals = probes.Select(p => (long)(p.Series.Interval.TotalSeconds * frequency)).ToArray();
        var slack = tickTicks / 2;
        var due = new long[probes.Count];
        var inFlightPerProbe = new int[probes.Count];
        var ticked = probes.Select(p => p is not IStartableProbe { SamplesItself: true }).ToArray();
        var stalls = new StallWatch(timeline, tick);
        var wake = stop.WaitHandle;
        var next = clock.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            var now = clock.GetTimestamp();
            stalls.Tick(now);
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

            // The next tick keeps the cadence's phase; ticks already past are dropped.
            next += tickTicks;
            var after = clock.GetTimestamp();
            if (next <= after)
            {
                next += ((after - next) / tickTicks + 1) * tickTicks;
            }

            // Rounded up to whole milliseconds (the wait's unit): a tick up to 1 ms late, never early.
            var wait = (int)Math.Ceiling((double)(next - after) * 1000 / frequency);
            wake.WaitOne(wait);
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
