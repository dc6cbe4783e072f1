using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Measurement;

/// <summary>The analysis on synthetic timelines: every edge case, exact figures.</summary>
public sealed class ProbeAnalyzerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private readonly ManualClock clock = new();

    [Test]
    public void Without_an_outage_availability_is_complete_and_takeover_is_within_one_interval()
    {
        var samples = Series(0, 1000, _ => true);

        var figures = Analyze(samples, 0, 10_000, fault: 5_003);

        Assert.Multiple(() =>
        {
            Assert.That(figures.Samples, Is.EqualTo(1000));
            Assert.That(figures.Availability, Is.EqualTo(1.0));
            Assert.That(figures.Outages, Is.Empty);
            Assert.That(figures.TakeoverTime, Is.EqualTo(TimeSpan.FromMilliseconds(7)), "the first sample after the fault, 5010 ms");
            Assert.That(figures.Recovered, Is.True);
            Assert.That(figures.MissedSamples, Is.Zero);
        });
    }

    [Test]
    public void Takeover_is_measured_from_the_fault_instant_to_the_first_sustained_success()
    {
        // Fails from 1000 ms to 1500 ms inclusive; succeeds again from 1510 ms.
        var samples = Series(0, 300, t => t < 1000 || t >= 1510);

        var figures = Analyze(samples, 0, 3000, fault: 1000);

        Assert.Multiple(() =>
        {
            Assert.That(figures.TakeoverTime, Is.EqualTo(TimeSpan.FromMilliseconds(510)));
            Assert.That(figures.Outages, Has.Count.EqualTo(1));
            Assert.That(figures.Outages[0].Start, Is.EqualTo(TimeSpan.FromMilliseconds(1000)));
            Assert.That(figures.Outages[0].End, Is.EqualTo(TimeSpan.FromMilliseconds(1510)));
            Assert.That(figures.Outages[0].Duration, Is.EqualTo(TimeSpan.FromMilliseconds(510)));
            Assert.That(figures.Outages[0].FailedSamples, Is.EqualTo(51));
            Assert.That(figures.LongestOutage, Is.EqualTo(TimeSpan.FromMilliseconds(510)));
            Assert.That(figures.Failures, Is.EqualTo(51));
            Assert.That(figures.Availability, Is.EqualTo(249.0 / 300).Within(1e-12));
            Assert.That(figures.Resolution, Is.EqualTo(Interval));
        });
    }

    [Test]
    public void A_success_ends_the_outage_when_it_was_answered_not_when_it_was_sent()
    {
        // Sent at 1480, 1490 and 1500 ms during the outage, all answered at 1505 ms when the service came back.
        var samples = Series(0, 300, t => t < 1000 || t >= 1510);
        samples[148] = new Sample(ManualClock.At(1480), 25_000, ProbeOutcome.Success, 0);
        samples[149] = new Sample(ManualClock.At(1490), 15_000, ProbeOutcome.Success, 0);
        samples[150] = new Sample(ManualClock.At(1500), 5_000, ProbeOutcome.Success, 0);

        var figures = Analyze(samples, 0, 3000, fault: 1000);

        Assert.That(figures.TakeoverTime, Is.EqualTo(TimeSpan.FromMilliseconds(505)));
        Assert.That(figures.Outages[0].End, Is.EqualTo(TimeSpan.FromMilliseconds(1505)));
    }

    [Test]
    public void An_outage_that_never_recovers_has_no_takeover_and_stays_open_to_the_end_of_the_window()
    {
        var samples = Series(0, 200, t => t < 500);

        var figures = Analyze(samples, 0, 2000, fault: 500);

        Assert.Multiple(() =>
        {
            Assert.That(figures.TakeoverTime, Is.Null);
            Assert.That(figures.Recovered, Is.False);
            Assert.That(figures.Outages.Single().Recovered, Is.False);
            Assert.That(figures.Outages.Single().Duration, Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
        });
    }

    [Test]
    public void Flapping_ends_only_at_a_sustained_run_of_successes()
    {
        // After the fault at 100 ms: F F S F F S S S S S ...
        var pattern = new[] { false, false, true, false, false, true, true, true, true, true };
        var samples = Series(0, 60, t => t < 100 || t >= 200 || pattern[(int)((t - 100) / 10)]);

        var figures = Analyze(samples, 0, 600, fault: 100);

        Assert.Multiple(() =>
        {
            Assert.That(figures.TakeoverTime, Is.EqualTo(TimeSpan.FromMilliseconds(50)), "the lone success at 120 ms does not end the takeover");
            Assert.That(figures.Outages, Has.Count.EqualTo(2));
            Assert.That(figures.LongestOutage, Is.EqualTo(TimeSpan.FromMilliseconds(20)));
        });
    }

    [Test]
    public void Samples_the_probe_did_not_take_are_counted_as_missed_and_widen_its_uncertainty_to_the_largest_gap()
    {
        var samples = Series(0, 100, _ => true).Concat(Series(2000, 100, _ => true)).ToArray();

        var figures = Analyze(samples, 0, 3000);

        Assert.That(figures.MissedSamples, Is.EqualTo(100), "from 990 ms to 2000 ms, 100 samples are missing");
        Assert.That(figures.LargestGap, Is.EqualTo(TimeSpan.FromMilliseconds(1010)));
        Assert.That(figures.Uncertainty, Is.EqualTo(TimeSpan.FromMilliseconds(1010)));
    }

    [Test]
    public void A_fault_before_the_first_sample_is_measured_from_the_fault()
    {
        var samples = Series(500, 100, t => t >= 800);

        var figures = Analyze(samples, 0, 2000, fault: 0);

        Assert.That(figures.TakeoverTime, Is.EqualTo(TimeSpan.FromMilliseconds(800)));
    }

    [Test]
    public void The_window_limits_what_is_counted()
    {
        var samples = Series(0, 300, t => t is < 500 or >= 600);

        var figures = Analyze(samples, 1000, 2000);

        Assert.Multiple(() =>
        {
            Assert.That(figures.Samples, Is.EqualTo(100));
            Assert.That(figures.Outages, Is.Empty);
            Assert.That(figures.WindowStart, Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }

    [Test]
    public void Latency_percentiles_are_nearest_rank_over_successful_samples()
    {
        var samples = Enumerable.Range(1, 100).Select(i => new Sample(ManualClock.At(i * 10), i * 1000, ProbeOutcome.Success, 0))
            .Append(new Sample(ManualClock.At(1010), 999_000, ProbeOutcome.Timeout, 0)).ToArray();

        var figures = Analyze(samples, 0, 2000);

        Assert.That(figures.Latency, Is.EqualTo(new LatencyFigures(
            TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(90), TimeSpan.FromMilliseconds(99), TimeSpan.FromMilliseconds(100))));
    }

    [Test]
    public void Errors_are_broken_down_by_outcome_and_status()
    {
        Sample[] samples =
        [
            new(ManualClock.At(0), 100, ProbeOutcome.Success, 200),
            new(ManualClock.At(10), 100, ProbeOutcome.HttpStatus, 500),
            new(ManualClock.At(20), 100, ProbeOutcome.HttpStatus, 500),
            new(ManualClock.At(30), 9000, ProbeOutcome.Timeout, 0),
            new(ManualClock.At(40), 100, ProbeOutcome.Refused, 0),
            new(ManualClock.At(50), 100, ProbeOutcome.Success, 200),
        ];

        var figures = Analyze(samples, 0, 100);

        Assert.That(figures.Errors, Is.EquivalentTo(new Dictionary<string, int> { ["HTTP 500"] = 2, ["Timeout"] = 1, ["Refused"] = 1 }));
        Assert.That(figures.Outages.Single().Cause, Is.EqualTo("HTTP 500"));
    }

    [Test]
    public void Two_owners_at_once_is_measured_as_duplicate_owner_time()
    {
        // edge-1 owns, then edge-1 and edge-2 for 200 ms (split brain), then edge-2 alone.
        var samples = Enumerable.Range(0, 100).Select(i => new Sample(ManualClock.At(i * 10), 50, ProbeOutcome.Success,
            (ushort)(i < 30 ? 0b01 : i < 50 ? 0b11 : 0b10))).ToArray();
        var series = new ProbeSeries("vip-owner", ProbeKinds.VipOwner, "198.18.0.100", Interval, Interval) { Owners = ["edge-1", "edge-2"] };

        var figures = ProbeAnalyzer.Analyze(series, samples, clock, 0, 0, ManualClock.At(1000));

        Assert.That(figures.DuplicateOwnerTime, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
        Assert.That(figures.DuplicateOwnerLeast, Is.EqualTo(TimeSpan.FromMilliseconds(190)), "from the first to the last sample with two owners");
        Assert.That(figures.DuplicateOwnerMost, Is.EqualTo(TimeSpan.FromMilliseconds(210)), "from the sample before the first with two owners");
        Assert.That(figures.OwnerChanges, Is.EqualTo(2));
    }

    [Test]
    public void An_outage_is_bounded_by_its_own_neighbouring_samples_not_by_a_gap_elsewhere()
    {
        // A 500 ms gap the harness missed early on; later one failed sample at 2000 ms, then the harness stalled
        // 140 ms before the next (successful) sample.
        var samples = Series(0, 50, _ => true)
            .Concat(Series(1000, 200, t => t != 2000))
            .Where(s => s.Timestamp <= ManualClock.At(2000) || s.Timestamp >= ManualClock.At(2140))
            .ToArray();

        var figures = Analyze(samples, 0, 3000);

        var outage = figures.Outages.Single();
        Assert.Multiple(() =>
        {
            Assert.That(figures.LargestGap, Is.EqualTo(TimeSpan.FromMilliseconds(510)));
            Assert.That(outage.Duration, Is.EqualTo(TimeSpan.FromMilliseconds(140)), "from the failed sample to the success after it");
            Assert.That(outage.StartedEarlierBy, Is.EqualTo(TimeSpan.FromMilliseconds(10)), "the success before it was answered at 1990 ms");
            Assert.That(outage.EndedEarlierBy, Is.EqualTo(TimeSpan.FromMilliseconds(140)), "it may have ended right after its only failed sample");
            Assert.That(outage.Longest, Is.EqualTo(TimeSpan.FromMilliseconds(150)));
            Assert.That(outage.Shortest, Is.EqualTo(TimeSpan.Zero));
        });
    }

    private static Sample[] Series(double fromMs, int count, Func<double, bool> up) =>
        [.. Enumerable.Range(0, count).Select(i => fromMs + (i * 10)).Select(t => new Sample(ManualClock.At(t), up(t) ? 0 : 9000, up(t) ? ProbeOutcome.Success : ProbeOutcome.Timeout, 0))];

    private ProbeFigures Analyze(Sample[] samples, double fromMs, double toMs, double? fault = null) =>
        ProbeAnalyzer.Analyze(new ProbeSeries("vip-tcp", ProbeKinds.TcpConnect, "198.18.0.100:6443", Interval, TimeSpan.FromMilliseconds(8)),
            samples, clock, 0, ManualClock.At(fromMs), ManualClock.At(toMs), fault is { } f ? ManualClock.At(f) : null);
}
