using System.Text.RegularExpressions;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Measurement;

public sealed partial class StallWatchTests
{
    [Test]
    public void Ticks_on_time_mark_nothing_and_a_late_tick_marks_a_harness_note_at_the_stall_s_start_with_the_garbage_collections_that_ran_meanwhile()
    {
        var clock = new ManualClock();
        var timeline = new RunTimeline(clock);
        var watch = new StallWatch(timeline, TimeSpan.FromMilliseconds(10));

        var onTime = new[] { 10.0, 20, 30, 65 }.Select(ms => watch.Tick(ManualClock.At(ms))).ToArray();
        GC.Collect();
        var late = watch.Tick(ManualClock.At(180));

        Assert.Multiple(() =>
        {
            Assert.That(onTime, Is.All.False, "gaps up to four ticks are the cadence's jitter, not a stall");
            Assert.That(late, Is.True);
            var note = timeline.Events.Single();
            Assert.That(note.Kind, Is.EqualTo(TimelineEventKind.Note));
            Assert.That(note.Subject, Is.EqualTo("harness"));
            Assert.That(note.Timestamp, Is.EqualTo(ManualClock.At(65)), "the note sits where the samples stop");
            Assert.That(note.Detail, Does.StartWith("The probe ticks stalled: 115 ms between two ticks (every 10 ms)."));
            var collections = Collections().Match(note.Detail!);
            Assert.That(collections.Success && int.Parse(collections.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, Is.True, note.Detail);
        });
    }

    [GeneratedRegex(@"\((\d+) collections, \d+ full")]
    private static partial Regex Collections();
}
