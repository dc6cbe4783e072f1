using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Tests.Support;
using ChaosEdge.Ssh;

namespace ChaosEdge.Tests.Measurement;

public sealed class EtcdProbeTests
{
    private static readonly (string, string)[] Members = [("edge-1", "https://198.18.0.11:2379"), ("edge-2", "https://198.18.0.12:2379"), ("edge-3", "https://198.18.0.13:2379")];

    [Test]
    public void The_leader_is_the_member_most_answers_name_and_silent_members_are_left_out()
    {
        // etcdctl endpoint status -w json, with edge-2 not answering (ids beyond 2^63, as etcd's are).
        const string Json = """
            [{"Endpoint":"https://198.18.0.11:2379","Status":{"header":{"cluster_id":1,"member_id":17291616040395930001,"revision":9,"raft_term":3},"version":"3.4.23","leader":17291616040395930003}},
             {"Endpoint":"https://198.18.0.13:2379","Status":{"header":{"cluster_id":1,"member_id":17291616040395930003,"revision":9,"raft_term":3},"version":"3.4.23","leader":17291616040395930003}}]
            """;
        var probe = new EtcdProbe("etcd", new UnusedShell(), Members);

        var (answered, leader) = probe.Parse(Json);

        Assert.That((answered, leader), Is.EqualTo((0b101, 2)));
    }

    [Test]
    public void No_answer_means_no_member_and_no_leader()
    {
        var probe = new EtcdProbe("etcd", new UnusedShell(), Members);

        Assert.That(probe.Parse(string.Empty), Is.EqualTo((0, -1)));
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

    /// <summary>Parsing needs no node; any call to this shell is a test bug.</summary>
    private sealed class UnusedShell : INodeShell
    {
        public string NodeName => "edge-1";

        public Task ConnectAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException();

        public Task<NodeCommandResult> RunAsync(string command, NodeCommandOptions? options = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException();

        public Task UploadAsync(string localPath, string remotePath, CancellationToken cancellationToken = default) => throw new InvalidOperationException();

        public IAsyncEnumerable<string> StreamLinesAsync(string command, NodeCommandOptions? options = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
