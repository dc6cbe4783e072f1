using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Measurement;

public sealed class EtcdProbeTests
{
    private static readonly (string, string)[] Members = [("edge-1", "https://198.18.0.11:2379"), ("edge-2", "https://198.18.0.12:2379"), ("edge-3", "https://198.18.0.13:2379")];

    [Test]
    public void The_leader_is_the_member_most_answers_name_and_silent_members_are_left_out()
    {
        // Ids beyond 2^63, as etcd's are; edge-2 did not answer.
        MemberStatus?[] answers = [new MemberStatus(17291616040395930001, 17291616040395930003), null, new MemberStatus(17291616040395930003, 17291616040395930003)];

        Assert.That(EtcdProbe.Judge(answers), Is.EqualTo((0b101, 2)));
    }

    [Test]
    public void No_answer_means_no_member_and_no_leader()
    {
        Assert.That(EtcdProbe.Judge([null, null, null]), Is.EqualTo((0, -1)));
    }

    [Test]
    public void A_member_without_a_leader_answers_but_names_none()
    {
        MemberStatus?[] answers = [new MemberStatus(1, 0), new MemberStatus(2, 0), null];

        Assert.That(EtcdProbe.Judge(answers), Is.EqualTo((0b011, -1)));
    }

    [Test]
    public void The_gateways_status_is_read_with_its_64_bit_ids_as_strings()
    {
        // etcd 3.4's /v3/maintenance/status, as its gRPC gateway writes it.
        var json = """
            {"header":{"cluster_id":"14841639068965178418","member_id":"17291616040395930001","revision":"9","raft_term":"3"},"version":"3.4.23","dbSize":"20480","leader":"17291616040395930003","raftIndex":"12","raftTerm":"3","raftAppliedIndex":"12","dbSizeInUse":"20480"}
            """u8.ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(EtcdProbe.ParseStatus(json), Is.EqualTo(new MemberStatus(17291616040395930001, 17291616040395930003)));
            Assert.That(EtcdProbe.ParseStatus("{\"error\":\"etcdserver: request timed out\"}"u8), Is.Null);
            Assert.That(EtcdProbe.ParseStatus("<html>"u8), Is.Null);
        });
    }

    [Test]
    public void Leader_changes_become_events_on_the_timeline_at_the_sample_that_saw_them()
    {
        var timeline = new RunTimeline(new ManualClock());
        var series = timeline.Add(new ProbeSeries("etcd", ProbeKinds.Etcd, "etcd", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)) { Owners = ["edge-1", "edge-2", "edge-3"] });
        ushort[] leaders = [1, 1, 0, 0, 2, 2];
        for (var i = 0; i < leaders.Length; i++)
        {
            series.Samples.Add(new Sample(ManualClock.At(i * 500), 1000, ProbeOutcome.Success, (ushort)((leaders[i] << 8) | 0b111)));
        }

        var count = LeaderChanges.Mark(timeline, series);

        Assert.That(count, Is.EqualTo(2));
        Assert.That(timeline.Events.Select(e => (e.Kind, timeline.Offset(e.Timestamp).TotalMilliseconds, e.Detail)), Is.EqualTo(new[]
        {
            (TimelineEventKind.LeaderChanged, 1000.0, "edge-1 → no leader"),
            (TimelineEventKind.LeaderChanged, 2000.0, "no leader → edge-2"),
        }));
    }
}
