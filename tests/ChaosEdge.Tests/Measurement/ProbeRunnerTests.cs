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
