using System.Text.Json.Nodes;
using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Record;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Measurement;

public sealed class RunRecordTests
{
    [Test]
    public void Samples_survive_the_compact_encoding_exactly_to_the_microsecond()
    {
        var clock = new ManualClock();
        Sample[] samples =
        [
            new(ManualClock.At(0.5), 612, ProbeOutcome.Success, 0),
            new(ManualClock.At(10.25), 50_000, ProbeOutcome.Timeout, 0),
            new(ManualClock.At(20), 1_234, ProbeOutcome.HttpStatus, 500),
            new(ManualClock.At(3_600_000), 7, ProbeOutcome.Success, 0b101),
        ];

        var data = SampleCodec.Encode(samples, clock, 0);
        var back = SampleCodec.Decode(data);

        Assert.That(back, Is.EqualTo(samples), "the manual clock ticks in microseconds, as the record does");
        Assert.That(data.Length, Is.LessThan(samples.Length * 9));
    }

    [Test]
    public void A_truncated_sample_stream_is_an_error_not_silent_data_loss()
    {
        var data = SampleCodec.Encode([new Sample(ManualClock.At(1_000), 70_000, ProbeOutcome.Success, 0)], new ManualClock(), 0);

        Assert.Throws<FormatException>(() => SampleCodec.Decode(data.AsSpan(0, data.Length - 3)));
    }

    [Test]
    public void The_record_carries_schema_samples_events_and_figures()
    {
        var clock = new ManualClock();
        var timeline = new RunTimeline(clock);
        var series = timeline.Add(new ProbeSeries("vip-tcp", ProbeKinds.TcpConnect, "198.18.0.100:6443", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)));
        for (var i = 0; i < 100; i++)
        {
            series.Samples.Add(new Sample(ManualClock.At(i * 10), 500, i is >= 40 and < 60 ? ProbeOutcome.Refused : ProbeOutcome.Success, 0));
        }

        clock.Advance(TimeSpan.FromMilliseconds(400));
        timeline.Mark(TimelineEventKind.FaultTookEffect, "keepalived-stop edge-1");
        var figures = ProbeAnalyzer.Analyze(series, series.Samples.ToSortedArray(), clock, timeline.StartTimestamp, 0, ManualClock.At(1000), ManualClock.At(400));

        var record = RunRecord.Build(timeline, [figures]);

        Assert.Multiple(() =>
        {
            Assert.That((string?)record["schema"], Is.EqualTo("chaosedge.run/1"));
            Assert.That((int?)record["probes"]![0]!["sampleCount"], Is.EqualTo(100));
            var decoded = SampleCodec.Decode(Convert.FromBase64String((string)record["probes"]![0]!["samples"]!["data"]!));
            Assert.That(decoded.Count(s => !s.Succeeded), Is.EqualTo(20));
            Assert.That((double?)record["events"]![0]!["atMs"], Is.EqualTo(400));
            Assert.That((double?)record["figures"]![0]!["takeoverMs"], Is.EqualTo(200.5));
            Assert.That((double?)record["figures"]![0]!["outages"]![0]!["durationMs"], Is.EqualTo(200.5));
            Assert.That(JsonNode.Parse(record.ToJsonString()), Is.Not.Null);
        });
    }
}
