using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// VIP ownership: which nodes carry the VIP on their interface, followed through the kernel's own address events on
/// every node (<c>ip monitor address</c>, streamed over SSH) and sampled every 10 ms. Each sample's
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

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await Task.WhenAll(ready.Select(r => r.Task)).WaitAsync(timeout.Token).ConfigureAwait(false);
    }

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

        // The monitor starts first, then the current addresses are listed in the same format: no change can fall between.
        // A heartbeat every 250 ms tells a node that is still seen from one whose link or power is gone: a dead node
        // sends no FIN, so its stream would only hang, and a node that cannot be seen holds no address on the network.
        var command = $"sh -c 'ip -o monitor address dev {iface} & (while sleep 0.25; do echo tick; done) & echo pgid $(ps -o pgid= -p $$); sleep 0.05; ip -o -4 addr show dev {iface}; echo listed; wait'";
        for (var attempt = 1; !stop.IsCancellationRequested; attempt++)
        {
            using var stale = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var lastLine = Stopwatch.GetTimestamp();
            var watchdog = WatchAsync(() => Volatile.Read(ref lastLine), stale);
            try
            {
                await foreach (var line in shell.StreamLinesAsync(command, new NodeCommandOptions { Timeout = maxLifetime }, stale.Token).ConfigureAwait(false))
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
                    else if (line.Contains($" inet {vip}/", StringComparison.Ordinal))
                    {
                        if (line.StartsWith("Deleted", StringComparison.Ordinal))
                        {
                            Interlocked.And(ref owners, ~bit);
                        }
                        else
                        {
                            Interlocked.Or(ref owners, bit);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested || stale.IsCancellationRequested)
            {
                // Stopped, or the node went silent: it is followed again below.
            }
            catch (Exception e) when (e is Errors.ChaosEdgeException && (stop.IsCancellationRequested || ready.Task.IsCompleted))
            {
                // Killing the monitor at the end makes its command exit non-zero; a node that lost power or its
                // connection ends the stream too, and is followed again below.
            }
            finally
            {
                await stale.CancelAsync().ConfigureAwait(false);
                await watchdog.ConfigureAwait(false);
                ready.TrySetException(new Errors.ChaosEdgeException($"The VIP ownership monitor on node '{shell.NodeName}' ended before it listed the node's addresses."));
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
                if (Stopwatch.GetElapsedTime(lastLine()) > TimeSpan.FromSeconds(1))
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
