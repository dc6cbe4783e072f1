using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Scenarios;

namespace ChaosEdge.Tests.Scenarios;

public sealed class VolumeWatchTests
{
    private static readonly TimeProvider Time = TimeProvider.System;

    private static long At(double seconds) => (long)(seconds * Time.TimestampFrequency);

    private static Sample Write(double sentSeconds, double latencyMs, bool ok = true) =>
        new(At(sentSeconds), (int)(latencyMs * 1000), ok ? ProbeOutcome.Success : ProbeOutcome.Timeout, 0);

    [Test]
    public void Writes_are_back_to_baseline_after_the_worst_moment_not_after_a_hiccup_before_it()
    {
        var samples = new List<Sample>();
        samples.AddRange(Enumerable.Range(0, 100).Select(i => Write(i * 0.02, 4 + (i % 10))));   // baseline 4..13 ms, p99 13 ms
        samples.Add(Write(2.00, 30));                                                              // a hiccup right after the injection
        samples.AddRange(Enumerable.Range(1, 5).Select(i => Write(2.00 + (i * 0.02), 5)));
        samples.AddRange(Enumerable.Range(0, 5).Select(i => Write(2.20 + (i * 0.02), 8000 - (i * 20))));  // the stall, acknowledged at ~10.2 s
        samples.AddRange(Enumerable.Range(0, 10).Select(i => Write(10.30 + (i * 0.02), 6)));

        var text = VolumeWatch.BackToBaseline(samples, At(2.0), Time);

        Assert.That(text, Does.StartWith("volume writes: baseline p50 9.0 ms, p99 13.0 ms; after the fault p99 8000.0 ms, max 8000 ms; back to baseline 8.306 s after the fault began"));
    }

    [Test]
    public void Failed_writes_mark_the_incident_and_a_fault_that_slowed_nothing_says_so()
    {
        var baseline = Enumerable.Range(0, 50).Select(i => Write(i * 0.02, 5)).ToList();
        List<Sample> failing = [.. baseline, Write(1.0, 1000, ok: false), Write(1.5, 1000, ok: false), .. Enumerable.Range(0, 5).Select(i => Write(3.0 + (i * 0.02), 5))];
        List<Sample> quiet = [.. baseline, .. Enumerable.Range(0, 5).Select(i => Write(1.0 + (i * 0.02), 5))];

        Assert.That(VolumeWatch.BackToBaseline(failing, At(1.0), Time), Does.EndWith("back to baseline 2.005 s after the fault began"));
        Assert.That(VolumeWatch.BackToBaseline(quiet, At(1.0), Time), Does.EndWith("no write slower than the baseline's p99"));
    }
}
