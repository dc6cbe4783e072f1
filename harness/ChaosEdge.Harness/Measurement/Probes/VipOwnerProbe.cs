using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// VIP ownership: which nodes carry the VIP on their interface, followed through the kernel's own address events on
/// every node (the probe agent's <c>ce-agent addr</c>: netlink, one process per node, streamed over SSH) and sampled
/// every 10 ms. Each sample's
/// <see cref="Sample.Detail"/> is the bit set of owners (bit i = <see cref="ProbeSeries.Owners"/>[i]), so two owners at
/// once — split brain — is a measured duration; no owner at all is a failed sample. The monitors on the nodes end with
/// the probe, and at the latest after <c>maxLifetime</c> (enforced on the node).
/// </summary>
public sealed class VipOwnerProbe : IStartableProbe
{
    private readonly IPAddress vip;
    private readonly IReadOnlyList<(INodeShell Shell, string Interface)> nodes;
    private readonly TimeSpan maxLifetime;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> monitors = [];
    private readonly long[] remoteGroups;
    private readonly string?[] lastErrors;
    private int owners;

    public VipOwnerProbe(string name, IPAddress vip, IReadOnlyList<(INodeShell Shell, string Interface)> nodes, TimeSpan? interval = null, TimeSpan? maxLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count > 16)
        {
            throw new ArgumentException("The ownership probe follows at most 16 nodes.", nameof(nodes));
        }

        this.vip = vip;
        this.nodes = nodes;
        this.maxLifetime = maxLifetime ?? TimeSpan.FromHours(1);
        remoteGroups = new long[nodes.Count];
        lastErrors = new string?[nodes.Count];
        var cadence = interval ?? TimeSpan.FromMilliseconds(10);
        Series = new ProbeSeries(name, ProbeKinds.VipOwner, $"{vip} on {string.Join(", ", nodes.Select(n => $"{n.Shell.NodeName}/{n.Interface}"))}", cadence, cadence)
        {
            Owners = [.. nodes.Select(n => n.Shell.NodeName)],
        };
    }

    public ProbeSeries Series { get; }

    /// <summary>The current owners' bit set.</summary>
    public int Owners => Volatile.Read(ref owners);

    /// <summary>Starts the monitors on every node and returns once each has reported the VIP's current state.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var ready = nodes.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        for (var i = 0; i < nodes.Count; i++)
        {
            monitors.Add(FollowAsync(i, ready[i]));
        }

        try
        {
            await Task.WhenAll(ready.Select(r => r.Task)).WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var waiting = Enumerable.Range(0, nodes.Count).Where(i => !ready[i].Task.IsCompleted)
                .Select(i => $"'{nodes[i].Shell.NodeName}'" + (Volatile.Read(ref lastErrors[i]) is { } error ? $" (last attempt: {error})" : string.Empty));
            throw new Errors.ChaosEdgeException($"The VIP ownership monitor did not list the addresses of node {string.Join(", ", waiting)} within {StartTimeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>How long <see cref="StartAsync"/> keeps trying to start every node's monitor, default 30 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        var set = Owners;
        return ValueTask.FromResult(new Sample(sentAt, 0, set == 0 ? ProbeOutcome.Error : ProbeOutcome.Success, (ushort)set));
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        for (var i = 0; i < nodes.Count; i++)
        {
            if (Interlocked.Read(ref remoteGroups[i]) is > 0 and var group)
            {
                // The whole process group — the node-side timeout wrapper (its leader), the shell, the monitor and the
                // heartbeat — waited for until it is gone, so nothing of the probe is left on the node once this returns.
                await Agent.ProbeAgent.StopAsync(nodes[i].Shell, group).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(monitors).ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task FollowAsync(int index, TaskCompletionSource ready)
    {
        var (shell, iface) = nodes[index];
        var bit = 1 << index;

        // The agent subscribes to the kernel's address events before it lists the addresses: no change can fall between.
        // Its heartbeat every 250 ms tells a node that is still seen from one whose link or power is gone: a dead node
        // sends no FIN, so its stream would only hang, and a node that cannot be seen holds no address on the network.
        var seconds = ((long)Math.Ceiling(maxLifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        for (var attempt = 1; !stop.IsCancellationRequested; attempt++)
        {
            using var stale = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            // Zero until the stream's first line: a stream is judged silent only once it was established, so a slow
            // connection (a busy machine, a node booting) is waited for, not taken for a dead node.
            long lastLine = 0;
            var watchdog = WatchAsync(() => Volatile.Read(ref lastLine), stale);
            try
            {
                var agent = await Agent.ProbeAgent.EnsureAsync(shell, stale.Token).ConfigureAwait(false);
                var command = $"exec {agent} addr {ShellQuote.Quote(iface)} {vip} {seconds}";
                await foreach (var line in shell.StreamLinesAsync(command, cancellationToken: stale.Token).ConfigureAwait(false))
                {
                    Volatile.Write(ref lastLine, Stopwatch.GetTimestamp());
                    if (line == "tick")
                    {
                        continue;
                    }

                    if (line.StartsWith("pgid ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(5).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var group))
                    {
                        Interlocked.Exchange(ref remoteGroups[index], group);
                    }
                    else if (line == "listed")
                    {
                        ready.TrySetResult();
                    }
                    else if (line.StartsWith("owner 1", StringComparison.Ordinal))
                    {
                        Interlocked.Or(ref owners, bit);
                    }
                    else if (line.StartsWith("owner 0", StringComparison.Ordinal))
                    {
                        Interlocked.And(ref owners, ~bit);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested || stale.IsCancellationRequested)
            {
                // Stopped, or the node went silent: it is followed again below.
            }
            catch (Errors.PrerequisiteMissingException e)
            {
                // No agent for this node's architecture: trying again cannot help.
                ready.TrySetException(e);
                return;
            }
            catch (Errors.ChaosEdgeException e)
            {
                // Killing the monitor at the end makes its command exit non-zero; a node that lost power or its
                // connection ends the stream too, and is followed again below.
                Volatile.Write(ref lastErrors[index], e.Message.ReplaceLineEndings(" "));
            }
            finally
            {
                await stale.CancelAsync().ConfigureAwait(false);
                await watchdog.ConfigureAwait(false);
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            // The node can no longer be seen (powered off, rebooting, its sshd gone): it is not counted as an owner,
            // and is followed again as soon as it answers; the listing then restores what it carries.
            Interlocked.And(ref owners, ~bit);
            Interlocked.Exchange(ref remoteGroups[index], 0);
            Reconnects++;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * attempt)), stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Ends a node's stream (through <paramref name="stream"/>) once it has been silent for a second: four heartbeats missed.</summary>
    private static async Task WatchAsync(Func<long> lastLine, CancellationTokenSource stream)
    {
        try
        {
            while (!stream.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stream.Token).ConfigureAwait(false);
                if (lastLine() is not 0 and var last && Stopwatch.GetElapsedTime(last) > TimeSpan.FromSeconds(1))
                {
                    await stream.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>How often a node's monitor ended early and was started again.</summary>
    public int Reconnects { get; private set; }
}
