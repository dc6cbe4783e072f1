using BenchmarkDotNet.Attributes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Benchmarks.Measurement;

/// <summary>The probe hot path's bookkeeping: recording one sample. Target: no allocation per sample.</summary>
[MemoryDiagnoser]
public class SampleRecordingBenchmarks
{
    private const int PerInvoke = 16_384;
    private SampleBuffer buffer = null!;

    [IterationSetup]
    public void Setup()
    {
        // A buffer whose chunk is already there, as in a running probe between chunk boundaries.
        buffer = new SampleBuffer();
        buffer.Add(default);
    }

    [Benchmark(OperationsPerInvoke = PerInvoke - 1)]
    public int RecordSample()
    {
        for (var i = 1; i < PerInvoke; i++)
        {
            buffer.Add(new Sample(i, 500, ProbeOutcome.Success, 0));
        }

        return buffer.Count;
    }
}
