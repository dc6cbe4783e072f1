using System.Diagnostics;
using System.Globalization;
using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Benchmarks.Measurement;

/// <summary>
/// A measured run (not a BenchmarkDotNet benchmark: it is about CPU time over wall time): the probe runner drives
/// probes that answer at once, so what is measured is the engine — scheduling at cadence, starting samples
/// without waiting, recording them — at 1,000 samples/s and at the default probe set's rate.
/// <c>dotnet run -c Release --project tests/ChaosEdge.Benchmarks -- engine-overhead</c>
/// </summary>
public static class EngineOverhead
{
    public static async Task RunAsync()
    {
        // A first, unreported pass lets the JIT and the thread pool settle: the figures are those of a running probe set.
        await MeasureAsync(null, [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1)]);
        await MeasureAsync("idle (no probe: the runtime's own background work)", []);
        await MeasureAsync("1,000 samples/s (ten probes every 10 ms)", [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(10), 10)]);
        await MeasureAsync("one probe every 1 ms (the timer's limit)", [TimeSpan.FromMilliseconds(1)]);
        await MeasureAsync("default probe set (10 ms + 10 ms + 100 ms + 100 ms: 220 samples/s)",
            [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)]);
    }

    private static async Task MeasureAsync(string? name, TimeSpan[] intervals)
    {
        var duration = TimeSpan.FromSeconds(10);
        var probes = intervals.Select((interval, i) => (IProbe)new InstantProbe($"p{i}", interval)).ToList();
        var timeline = new RunTimeline();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        if (probes.Count == 0)
        {
            await Task.Delay(duration);
        }
        else
        {
            await new ProbeRunner(timeline).RunAsync(probes, duration);
        }

        var wall = clock.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var samples = timeline.Probes.Sum(p => p.Samples.Count);

        // The samples' own storage (16-byte samples in chunks of 16,384) is data, not overhead: counted apart.
        var storage = timeline.Probes.Sum(p => (long)Math.Ceiling(p.Samples.Count / 16_384.0) * 16_384 * 16);
        var expected = Math.Max(1, intervals.Sum(i => duration / i));
        if (name is null)
        {
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {samples} samples in {wall.TotalSeconds:0.00} s ({samples / wall.TotalSeconds:0} /s, {100.0 * samples / expected:0.0} % of the cadence), CPU {cpu.TotalMilliseconds:0} ms = {100 * cpu / wall:0.00} % of one core, {(allocated - storage) / (double)Math.Max(1, samples):0.0} bytes allocated per sample besides the samples' storage ({storage} bytes)"));
    }

    private sealed class InstantProbe(string name, TimeSpan interval) : IProbe
    {
        public ProbeSeries Series { get; } = new(name, ProbeKinds.TcpConnect, "none", interval, interval);

        public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Sample(sentAt, 1, ProbeOutcome.Success, 0));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
