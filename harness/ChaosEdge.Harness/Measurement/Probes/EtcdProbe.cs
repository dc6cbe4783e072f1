using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// etcd: member health and leader identity over time, from <c>etcdctl endpoint status</c> run on one server over SSH
/// (default every 500 ms, 1 s timeout). A sample succeeds when a majority of members answer and agree on a leader. Its
/// <see cref="Sample.Detail"/> holds the bit set of members that answered (bits 0–7, by <see cref="ProbeSeries.Owners"/>)
/// and the leader's index + 1 (bits 8–11; 0 = none), so leader changes are counted by the analysis.
/// </summary>
public sealed class EtcdProbe : IProbe
{
    /// <summary>etcdctl's TLS flags for K3s's embedded etcd.</summary>
    public const string K3sEtcdctlFlags =
        "--cacert /var/lib/rancher/k3s/server/tls/etcd/server-ca.crt --cert /var/lib/rancher/k3s/server/tls/etcd/client.crt --key /var/lib/rancher/k3s/server/tls/etcd/client.key";

    private readonly INodeShell shell;
    private readonly IReadOnlyList<(string Name, string Endpoint)> members;

    /// <param name="name">Probe name (<c>etcd</c>).</param>
    /// <param name="shell">The server the status is asked from.</param>
    /// <param name="members">Every member's name and client URL (<c>https://198.18.0.11:2379</c>), at most 8.</param>
    /// <param name="interval">Cadence, default 500 ms.</param>
    /// <param name="timeout">Per sample, default 1 s.</param>
    public EtcdProbe(string name, INodeShell shell, IReadOnlyList<(string Name, string Endpoint)> members, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count is 0 or > 8)
        {
            throw new ArgumentException("The etcd probe follows 1 to 8 members.", nameof(members));
        }

        this.shell = shell;
        this.members = members;
        Series = new ProbeSeries(name, ProbeKinds.Etcd, $"etcd members {string.Join(", ", members.Select(m => m.Name))} (asked on {shell.NodeName})",
            interval ?? TimeSpan.FromMilliseconds(500), timeout ?? TimeSpan.FromSeconds(1))
        {
            Owners = [.. members.Select(m => m.Name)],
        };
    }

    public ProbeSeries Series { get; }

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        var timeoutMs = ((int)Series.Timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var command = $"ETCDCTL_API=3 etcdctl --endpoints={string.Join(',', members.Select(m => m.Endpoint))} {K3sEtcdctlFlags} --dial-timeout={timeoutMs}ms --command-timeout={timeoutMs}ms endpoint status -w json 2>/dev/null";
        try
        {
            var result = await shell.RunAsync(command, new NodeCommandOptions { Timeout = Series.Timeout + TimeSpan.FromSeconds(2) }, cancellationToken).ConfigureAwait(false);
            var (answered, leader) = Parse(result.Stdout);
            var detail = (ushort)(answered | ((leader + 1) << 8));
            var quorum = System.Numerics.BitOperations.PopCount((uint)answered) > members.Count / 2 && leader >= 0;
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), quorum ? ProbeOutcome.Success : ProbeOutcome.Error, detail);
        }
        catch (Errors.ChaosEdgeException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), e is Errors.NodeCommandTimeoutException ? ProbeOutcome.Timeout : ProbeOutcome.Error, 0);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The bit set of members that answered, and the index of the leader most of them name (-1 for none).</summary>
    internal (int Answered, int Leader) Parse(string json)
    {
        var answered = 0;
        var ids = new Dictionary<ulong, int>();
        var votes = new Dictionary<ulong, int>();
        if (JsonNode.Parse(json.Length == 0 ? "[]" : json) is JsonArray statuses)
        {
            foreach (var status in statuses.OfType<JsonObject>())
            {
                var endpoint = (string?)status["Endpoint"];
                var index = -1;
                for (var i = 0; i < members.Count && index < 0; i++)
                {
                    index = members[i].Endpoint == endpoint ? i : -1;
                }

                var memberId = (ulong?)status["Status"]?["header"]?["member_id"];
                var leaderId = (ulong?)status["Status"]?["leader"];
                if (index < 0 || memberId is null || leaderId is null)
                {
                    continue;
                }

                answered |= 1 << index;
                ids[memberId.Value] = index;
                votes[leaderId.Value] = votes.GetValueOrDefault(leaderId.Value) + 1;
            }
        }

        var leader = votes.Count == 0 ? -1 : ids.GetValueOrDefault(votes.MaxBy(v => v.Value).Key, -1);
        return (answered, leader);
    }
}
