using System.Globalization;
using System.Net;
using ChaosEdge.Measurement.Agent;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Cluster DNS from inside the cluster: the node-side agent (<c>ce-agent dns</c>, <see cref="ProbeAgent"/>) queries the
/// DNS service IP every 100 ms, each query from a new UDP socket (a new source port, as a stub resolver's, so kube-proxy
/// balances and conntrack tracks each query on its own), and streams one line per query back over SSH — no process
/// per query. The node's send times are mapped
/// onto the harness clock (<see cref="NodeClock"/>), whose error bound is kept in <see cref="ProbeSeries.ClockError"/>.
/// An answer with rcode NOERROR succeeds; another rcode is <see cref="ProbeOutcome.DnsRcode"/> (detail: the rcode); no
/// answer within 1 s is a timeout; a query the kernel refused at once (ICMP port unreachable: a service without
/// endpoints) is an error. The agent ends itself after <c>maxLifetime</c> and is ended with the probe.
/// </summary>
public sealed class DnsAgentProbe : IStartableProbe
{
    private static readonly Dictionary<string, ushort> Rcodes = new(StringComparer.Ordinal)
    {
        ["NOERROR"] = 0, ["FORMERR"] = 1, ["SERVFAIL"] = 2, ["NXDOMAIN"] = 3, ["NOTIMP"] = 4, ["REFUSED"] = 5,
    };

    private readonly INodeShell shell;
    private readonly IPAddress server;
    private readonly string query;
    private readonly TimeSpan maxLifetime;
    private readonly CancellationTokenSource stop = new();
    private Task reader = Task.CompletedTask;
    private NodeClock? nodeClock;
    private string agentPath = string.Empty;
    private long processGroup;

    public DnsAgentProbe(string name, INodeShell shell, IPAddress server, string query = "kubernetes.default.svc.cluster.local", TimeSpan? interval = null, TimeSpan? maxLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(shell);
        this.shell = shell;
        this.server = server;
        this.query = query;
        this.maxLifetime = maxLifetime ?? TimeSpan.FromHours(1);
        Series = new ProbeSeries(name, ProbeKinds.Dns, $"{query} at {server} from {shell.NodeName}", interval ?? TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
    }

    public ProbeSeries Series { get; }

    public bool SamplesItself => true;

    /// <summary>The process group of the agent on the node, once it runs (the harness ends it through this group).</summary>
    public long? AgentProcessGroup => Interlocked.Read(ref processGroup) is > 0 and var group ? group : null;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        agentPath = await ProbeAgent.EnsureAsync(shell, cancellationToken).ConfigureAwait(false);
        nodeClock = await NodeClock.EstimateAsync(shell, agentPath, TimeProvider.System, cancellationToken: cancellationToken).ConfigureAwait(false);
        Series.ClockError = nodeClock.Error;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader = ReadAsync(started);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The DNS agent probe records its own samples.");

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (Interlocked.Read(ref processGroup) is > 0 and var group)
        {
            await ProbeAgent.StopAsync(shell, group).ConfigureAwait(false);
        }

        await reader.ConfigureAwait(false);
        stop.Dispose();
    }

    /// <summary>Turns one agent line into a sample; null for lines that are not samples.</summary>
    internal static Sample? Parse(string line, NodeClock clock)
    {
        var parts = line.Split(' ');
        if (parts.Length != 3 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var sentNs) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var latency))
        {
            return null;
        }

        var (outcome, detail) = parts[2] switch
        {
            "NOERROR" => (ProbeOutcome.Success, (ushort)0),
            "NOANSWER" => (latency >= 900_000 ? ProbeOutcome.Timeout : ProbeOutcome.Error, (ushort)0),
            var rcode => (ProbeOutcome.DnsRcode, Rcodes.GetValueOrDefault(rcode, ushort.MaxValue)),
        };
        return new Sample(clock.ToHarness(sentNs), latency, outcome, detail);
    }

    private async Task ReadAsync(TaskCompletionSource started)
    {
        var seconds = ((long)Math.Ceiling(maxLifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var interval = ((long)Series.Interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        // The agent ends by itself after its lifetime: no timeout wrapper on the node.
        var command = $"exec {agentPath} dns {server} {ShellQuote.Quote(query)} {interval} {seconds}";
        try
        {
            await foreach (var line in shell.StreamLinesAsync(command, cancellationToken: stop.Token).ConfigureAwait(false))
            {
                if (line.StartsWith("pgid ", StringComparison.Ordinal))
                {
                    Interlocked.Exchange(ref processGroup, long.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
                    started.TrySetResult();
                }
                else if (Parse(line, nodeClock!) is { } sample)
                {
                    Series.Samples.Add(sample);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Errors.ChaosEdgeException) when (stop.IsCancellationRequested)
        {
            // Ending the agent early makes its command exit non-zero.
        }
        finally
        {
            started.TrySetException(new Errors.ChaosEdgeException($"The DNS probe agent on node '{shell.NodeName}' ended before it started sampling."));
        }
    }
}
