using System.Globalization;
using System.Runtime;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// The probe runner's view of its own stalls: a tick that comes more than four intervals (and 40 ms) after the one
/// before marks a <c>harness</c> note on the timeline saying how late, and what the process did meanwhile — garbage
/// collection pauses, JIT compilation, CPU used, the thread pool's state — so a gap in the samples is told apart from
/// an outage and traced to its cause. Reads the runtime's counters on every tick; allocates only when it marks a stall.
/// </summary>
internal sealed class StallWatch(RunTimeline timeline, TimeSpan tick)
{
    private readonly long threshold = (long)(Math.Max(tick.TotalSeconds * 4, 0.04) * timeline.Clock.TimestampFrequency);
    private long previous;
    private Counters before = Counters.Read();

    /// <summary>Called on every tick with its timestamp; returns whether this tick ended a stall (and marked it).</summary>
    public bool Tick(long now)
    {
        var counters = Counters.Read();
        var stalled = previous != 0 && now - previous > threshold;
        if (stalled)
        {
            var gc = GC.GetGCMemoryInfo();
            timeline.Mark(TimelineEventKind.Note, "harness", string.Create(CultureInfo.InvariantCulture,
                $"The probe ticks stalled: {timeline.Clock.GetElapsedTime(previous, now).TotalMilliseconds:0} ms between two ticks (every {tick.TotalMilliseconds:0} ms). " +
                $"Meanwhile garbage collection paused the harness {(counters.GcPause - before.GcPause).TotalMilliseconds:0} ms ({counters.Collections - before.Collections} collections, {counters.FullCollections - before.FullCollections} full; the last of gen {gc.Generation}, {gc.PromotedBytes / 1024} KiB promoted of {gc.HeapSizeBytes / 1024} KiB), " +
                $"JIT compiled {counters.Compiled - before.Compiled} methods in {(counters.Compiling - before.Compiling).TotalMilliseconds:0} ms, the harness used {(counters.Cpu - before.Cpu).TotalMilliseconds:0} ms of CPU, " +
                $"and its thread pool ran {counters.WorkItems - before.WorkItems} items on {ThreadPool.ThreadCount} threads ({ThreadPool.PendingWorkItemCount} queued now)."), previous);
        }

        previous = now;
        before = counters;
        return stalled;
    }

    private readonly record struct Counters(TimeSpan GcPause, int Collections, int FullCollections, long WorkItems, TimeSpan Cpu, TimeSpan Compiling, long Compiled)
    {
        public static Counters Read() => new(
            GC.GetTotalPauseDuration(),
            GC.CollectionCount(0),
            GC.CollectionCount(2),
            ThreadPool.CompletedWorkItemCount,
            Environment.CpuUsage.TotalTime,
            JitInfo.GetCompilationTime(),
            JitInfo.GetCompiledMethodCount());
    }
}
