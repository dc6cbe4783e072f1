using System.Collections.Concurrent;
using System.Globalization;
using ChaosEdge.Measurement.Agent;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;
using ChaosEdge.Storage;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Volume I/O on a real cluster: the node-side agent (<c>ce-agent volume</c>) on the node where the Longhorn
/// volume is attached writes a numbered, checksummed 4 KiB block (<see cref="ProbeBlock"/>, text layout) to its block
/// device (<c>/dev/longhorn/NAME</c>) with O_DIRECT and O_DSYNC every 100 ms, each on a thread of its own (at most 256
/// at once) so a stalled write never delays the next, and streams when each was sent and acknowledged. Node send times are mapped onto the harness
/// clock (<see cref="NodeClock"/>). A write the storage refused is a failed sample; one still unacknowledged when the
/// probe ends is a timeout lasting to the end; one acknowledged after the probe's timeout (30 s) counts as a timeout too,
/// but as acknowledged. When the agent's stream ends (its node lost power or its network) it is started again, once a
/// second, numbering on from the last write it sent. <see cref="VerifyAsync"/> reads the device back on the node.
/// </summary>
public sealed class VolumeAgentProbe : IVolumeProbe
{
    private readonly INodeShell shell;
    private readonly string device;
    private readonly int slots;
    private readonly TimeSpan maxLifetime;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<long, (int Slot, long Sent)> pending = new();
    private readonly ConcurrentDictionary<int, long> acknowledged = new();
    private readonly TimeProvider clock = TimeProvider.System;
    private Task reader = Task.CompletedTask;
    private long processGroup;
    private long lastSent;
    private long acknowledgedCount;
    private volatile bool ending;

    /// <param name="name">Probe name (<c>volume-write</c>).</param>
    /// <param name="shell">The node the volume is attached to.</param>
    /// <param name="device">The volume's block device there.</param>
    /// <param name="slots">Blocks written round-robin (default 2048: 8 MiB at the start of the device).</param>
    /// <param name="interval">Default 100 ms.</param>
    /// <param name="timeout">Default 30 s, longer than any engine-replica timeout.</param>
    /// <param name="maxLifetime">The agent ends by itself after this (default 1 h).</param>
    public VolumeAgentProbe(string name, INodeShell shell, string device, int slots = 2048, TimeSpan? interval = null, TimeSpan? timeout = null, TimeSpan? maxLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        this.shell = shell;
        this.device = device;
        this.slots = slots;
        this.maxLifetime = maxLifetime ?? TimeSpan.FromHours(1);
        Series = new ProbeSeries(name, ProbeKinds.VolumeWrite, $"{device} on {shell.NodeName} (node-side agent)", interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromSeconds(30));
    }

    public ProbeSeries Series { get; }

    public bool SamplesItself => true;

    public long Acknowledged => Interlocked.Read(ref acknowledgedCount);

    /// <summary>How often the agent's stream ended early and the agent was started again.</summary>
    public int Restarts { get; private set; }

    /// <summary>Why the device refused the last write it refused (the kernel's error); null while none was.</summary>
    public string? LastError { get; private set; }

    /// <summary>The agent's process group on the node, while it runs.</summary>
    public long? AgentProcessGroup => Interlocked.Read(ref processGroup) is > 0 and var group ? group : null;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader = RunAsync(started);
        _ = reader.ContinueWith(
            r => started.TrySetException(r.Exception?.InnerException ?? new Errors.ChaosEdgeException($"The volume probe agent on node '{shell.NodeName}' ended before it started writing to '{device}'.")),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The volume agent probe records its own samples.");

    public async ValueTask DisposeAsync()
    {
        // The agent is ended while its stream is still read: writes it has in flight report their answers first.
        ending = true;
        if (Interlocked.Read(ref processGroup) is > 0 and var group)
        {
            await ProbeAgent.StopAsync(shell, group).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await reader.ConfigureAwait(false);
        var now = clock.GetTimestamp();
        foreach (var (_, (_, sent)) in pending)
        {
            // Never acknowledged: an outage lasting at least until the probe ended.
            Series.Samples.Add(new Sample(sent, Micro(clock.GetElapsedTime(sent, Math.Max(sent, now))), ProbeOutcome.Timeout, 0));
        }

        pending.Clear();
        stop.Dispose();
    }

    public async Task<VolumeVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var agent = await ProbeAgent.EnsureAsync(shell, cancellationToken).ConfigureAwait(false);
        var result = await shell.RunCheckedAsync($"{agent} readback {ShellQuote.Quote(device)} {slots.ToString(CultureInfo.InvariantCulture)}", new NodeCommandOptions { Timeout = TimeSpan.FromMinutes(2) }, cancellationToken).ConfigureAwait(false);
        var data = Convert.FromBase64String(result.Stdout.Trim());
        var lost = new List<string>();
        var checkedSlots = VolumeReadBack.Check(acknowledged, Interlocked.Read(ref lastSent), data, 0, lost);
        return new VolumeVerification(checkedSlots, Acknowledged, lost);
    }

    /// <summary>One agent line applied; false for a line that is not the agent's.</summary>
    internal bool Apply(string line, NodeClock nodeClock)
    {
        var parts = line.Split(' ');
        if (parts is ["s", var s, var slotText, var sentText] && long.TryParse(s, CultureInfo.InvariantCulture, out var seq) &&
            int.TryParse(slotText, CultureInfo.InvariantCulture, out var slot) && long.TryParse(sentText, CultureInfo.InvariantCulture, out var sentNs))
        {
            pending[seq] = (slot, nodeClock.ToHarness(sentNs));
            InterlockedMax(ref lastSent, seq);
            return true;
        }

        if (parts is ["a", var a, var latencyText, var status, ..] && long.TryParse(a, CultureInfo.InvariantCulture, out seq) &&
            int.TryParse(latencyText, CultureInfo.InvariantCulture, out var latency) && pending.TryRemove(seq, out var write))
        {
            var ok = status == "OK";
            if (ok)
            {
                acknowledged.AddOrUpdate(write.Slot, seq, (_, previous) => Math.Max(previous, seq));
                Interlocked.Increment(ref acknowledgedCount);
            }
            else
            {
                LastError = string.Join(' ', parts.Skip(4)).Trim();
            }

            var outcome = !ok ? ProbeOutcome.Error : latency > Series.Timeout.TotalMicroseconds ? ProbeOutcome.Timeout : ProbeOutcome.Success;
            Series.Samples.Add(new Sample(write.Sent, latency, outcome, 0));
            return true;
        }

        return false;
    }

    private async Task RunAsync(TaskCompletionSource started)
    {
        var interval = ((long)Series.Interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var seconds = ((long)Math.Ceiling(maxLifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        while (!stop.IsCancellationRequested && !ending)
        {
            try
            {
                // Checked every time: a node may come back from a power cut reinstalled, or with another agent.
                var agent = await ProbeAgent.EnsureAsync(shell, stop.Token).ConfigureAwait(false);
                var nodeClock = await NodeClock.EstimateAsync(shell, agent, clock, cancellationToken: stop.Token).ConfigureAwait(false);
                Series.ClockError = Series.ClockError is { } known && known > nodeClock.Error ? known : nodeClock.Error;
                var first = (Interlocked.Read(ref lastSent) + 1).ToString(CultureInfo.InvariantCulture);
                var command = $"exec {agent} volume {ShellQuote.Quote(device)} {slots.ToString(CultureInfo.InvariantCulture)} {interval} {seconds} {first}";
                await foreach (var line in shell.StreamLinesAsync(command, cancellationToken: stop.Token).ConfigureAwait(false))
                {
                    if (line.StartsWith("pgid ", StringComparison.Ordinal))
                    {
                        Interlocked.Exchange(ref processGroup, long.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
                        started.TrySetResult();
                    }
                    else
                    {
                        Apply(line, nodeClock);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Errors.ChaosEdgeException e) when (!started.Task.IsCompleted)
            {
                // The first start failed (no such device, no dd, the node unreachable): the scenario is told why.
                started.TrySetException(new Errors.ChaosEdgeException($"The volume probe agent on node '{shell.NodeName}' could not start writing to '{device}': {e.Message}", e));
                return;
            }
            catch (Errors.ChaosEdgeException) when (stop.IsCancellationRequested || ending)
            {
                return;
            }
            catch (Errors.ChaosEdgeException)
            {
                // The stream ended: the node went away, or the volume is not attached there (yet). Started again below.
            }

            Interlocked.Exchange(ref processGroup, 0);
            if (ending)
            {
                return;
            }

            if (!started.Task.IsCompleted)
            {
                // Ended before it wrote anything: StartAsync reports that when this returns.
                return;
            }

            Restarts++;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static int Micro(TimeSpan span) => (int)Math.Min(int.MaxValue, span.TotalMicroseconds);

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
