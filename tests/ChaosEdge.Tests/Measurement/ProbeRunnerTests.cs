using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Tests.Measurement;

public sealed class ProbeRunnerTests
{
    [Test]
    public async Task A_probe_whose_samples_never_answer_gets_no_more_than_its_bound_in_flight_and_further_ticks_are_not_sent()
    {
        var probe = new HangingProbe(new ProbeSeries("hang", "test", "nothing", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(30)));
        using var stop = new CancellationTokenSource();
        var run = new ProbeRunner(new RunTimeline()).RunAsync([probe], cancellationToken: stop.Token);

        var start = TimeProvider.System.GetTimestamp();
        while (probe.Series.TicksNotSent < 5)
        {
            Assert.That(TimeProvider.System.GetElapsedTime(start), Is.LessThan(TimeSpan.FromSeconds(20)), "ticks kept being sent to a probe with 7 samples waiting");
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        probe.Release();
        await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            Assert.That(probe.Series.MaxInFlight, Is.EqualTo(7), "twice the 3 a 30 ms timeout lets overlap at 10 ms, plus one");
            Assert.That(probe.MostAtOnce, Is.EqualTo(7));
            Assert.That(probe.Series.TicksNotSent, Is.GreaterThanOrEqualTo(5));
        });
    }

    [Test]
    public async Task Ticks_keep_their_cadence_while_every_thread_of_the_thread_pool_is_blocked()
    {
        var probe = new InstantProbe(new ProbeSeries("instant", "test", "nothing", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)));
        var run = new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(2));
        Thread.Sleep(300);

        // Every pool thread and then some held for 700 ms, as a burst of blocking work in the harness would: a tick that
        // needed the pool would wait for them.
        var blockedFrom = TimeProvider.System.GetTimestamp();
        for (var i = ThreadPool.ThreadCount + 4; i > 0; i--)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => Thread.Sleep(700), null);
        }

        Thread.Sleep(600);
        var blockedUntil = TimeProvider.System.GetTimestamp();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var during = probe.Series.Samples.ToSortedArray().Select(s => s.Timestamp).Where(t => t >= blockedFrom && t <= blockedUntil).ToArray();
        var largestGap = during.Zip(during.Skip(1), (a, b) => TimeProvider.System.GetElapsedTime(a, b)).DefaultIfEmpty(TimeSpan.MaxValue).Max();
        Assert.Multiple(() =>
        {
            Assert.That(during, Has.Length.GreaterThan(40), "samples were taken while the pool was blocked");
            Assert.That(largestGap, Is.LessThan(TimeSpan.FromMilliseconds(40)), "no tick waited for the pool");
        });
    }

    /// <summary>A probe whose samples answer at once, on the caller's thread.</summary>
    private sealed class InstantProbe(ProbeSeries series) : IProbe
    {
        public ProbeSeries Series => series;

        public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Sample(sentAt, 0, ProbeOutcome.Success, 0));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A probe whose samples wait until released: a target that stopped answering and a probe without a timeout.</summary>
    private sealed class HangingProbe(ProbeSeries series) : IProbe
    {
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int current;
        private int most;

        public ProbeSeries Series => series;

        public int MostAtOnce => Volatile.Read(ref most);

        public void Release() => release.TrySetResult();

        public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref current);
            int seen;
            while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen)
            {
            }

            await release.Task;
            Interlocked.Decrement(ref current);
            return new Sample(sentAt, 0, ProbeOutcome.Timeout, 0);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
