using BenchmarkDotNet.Attributes;
using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Benchmarks.Measurement;

/// <summary>
/// Analysis throughput: a 1,000,000-sample timeline (about 2.8 hours of a 10 ms probe, with an outage every 10,000
/// samples) analysed in one window. Target: under 100 ms.
/// </summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private const int Count = 1_000_000;
    private readonly ProbeSeries series = new("vip-tcp", ProbeKinds.TcpConnect, "198.18.0.100:6443", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
    private Sample[] samples = null!;
    private SampleBuffer buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var ticksPerSample = TimeProvider.System.TimestampFrequency / 100;
        samples = new Sample[Count];
        buffer = new SampleBuffer();
        for (var i = 0; i < Count; i++)
        {
            var down = i % 10_000 is >= 5_000 and < 5_060;
            samples[i] = new Sample(i * ticksPerSample, down ? 50_000 : 300 + random.Next(2_000), down ? ProbeOutcome.Timeout : ProbeOutcome.Success, 0);
            buffer.Add(samples[i]);
        }
    }

    [Benchmark(Baseline = true)]
    public ProbeFigures AnalyzeOneMillionSamples() =>
        ProbeAnalyzer.Analyze(series, samples, TimeProvider.System, 0, 0, samples[^1].Timestamp + 1, samples[Count / 2].Timestamp);

    [Benchmark]
    public Sample[] SortOneMillionSamples() => buffer.ToSortedArray();
}
