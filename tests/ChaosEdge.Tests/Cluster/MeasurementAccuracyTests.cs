using System.Globalization;
using System.Net;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// ChaosEdge's own accuracy, against ground truth: the VIP owner is faulted again and again (keepalived stopped, then
/// started so it takes the VIP back), and the takeover time the VIP probe measures at its default 10 ms cadence is
/// compared with the kernel's address events inside the nodes — on a quiet machine, and again while another process
/// keeps one of its cores busy (a noisy neighbour): the harness's accuracy must not depend on having the machine alone.
/// Each takeover must be right to within 20 ms — or, where the harness itself missed samples around it, to within the
/// uncertainty its figures state (the SLA judge then calls a verdict that close inconclusive); at most one of the
/// failovers may be blurred so, and no more than 1 % of all ticks may be missed.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class MeasurementAccuracyTests
{
    private const int Cycles = 6;
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(20);

    [Test]
    public async Task Measured_VIP_takeover_is_within_20_ms_of_the_kernels_address_events_over_at_least_10_failovers([Values(false, true)] bool busyCore)
    {
        using var neighbour = busyCore ? ChaosEdge.Testing.BusyCore.Start(TimeSpan.FromMinutes(4)) : null;
        var clock = TimeProvider.System;
        var names = new LabNames(ClusterLab.LabName);
        var vip = ClusterLab.Vip;
        using var truth = new AddressMonitor(ClusterLab.Inventory.Nodes.ToDictionary(n => n.Name, n => names.Namespace(n.Name)), clock);
        var timeline = new RunTimeline(clock);
        var probe = new TcpConnectProbe("vip-tcp", new IPEndPoint(vip, ClusterLab.Inventory.ControlPlane.Port));
        using var stop = new CancellationTokenSource();
        var actions = new List<(long At, string From)>();
        var running = new ProbeRunner(timeline).RunAsync([probe], TimeSpan.FromMinutes(3), stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));

        try
        {
            for (var cycle = 0; cycle < Cycles; cycle++)
            {
                // Owners are followed through the kernels' events rather than by polling the nodes over SSH, which would
                // load the harness process the probe runs in.
                // With preemption the VIP settles on the highest-priority server once every API check passes; earlier
                // faults may leave it elsewhere for a while, and then a restarted keepalived would not take it back.
                var holder = await SingleHolderAsync(vip, ClusterLab.Inventory.Servers.First().Name);
                actions.Add((clock.GetTimestamp(), holder));
                var stopped = await ClusterLab.Shell(holder).RunCheckedAsync("systemctl stop keepalived; systemctl is-active keepalived; pgrep -a -f '^/usr/sbin/keepalived .*keepalived.conf' | grep -c . ; true");
                await TestContext.Progress.WriteLineAsync($"cycle {cycle}: stopped keepalived on {holder}: {stopped.Stdout.Replace('\n', ' ')}");
                var taker = await WaitForOwnerAsync(truth, vip, other => other != holder);
                await Task.Delay(TimeSpan.FromSeconds(1));
                actions.Add((clock.GetTimestamp(), taker));
                await ClusterLab.Shell(holder).RunCheckedAsync("systemctl start keepalived");
                await WaitForOwnerAsync(truth, vip, owner => owner == holder);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        var samples = probe.Series.Samples.ToSortedArray();
        var events = truth.Events.Where(e => e.Address.Equals(vip)).ToList();
        var failovers = Failovers(events, actions);
        var lines = new List<string> { "failover            truth (ms)  measured (ms)  error (ms)  failed  missed" };
        var errors = new List<TimeSpan>();
        var beyond = new List<string>();
        for (var i = 0; i < failovers.Count; i++)
        {
            var (deleted, added, from, to) = failovers[i];
            var windowEnd = i + 1 < failovers.Count ? failovers[i + 1].Deleted.Timestamp : clock.GetTimestamp();
            var figures = ProbeAnalyzer.Analyze(probe.Series, samples, clock, timeline.StartTimestamp,
                deleted.Timestamp - (clock.TimestampFrequency / 5), windowEnd, deleted.Timestamp);
            var truthTakeover = added.Timestamp > deleted.Timestamp ? clock.GetElapsedTime(deleted.Timestamp, added.Timestamp) : TimeSpan.Zero;
            Assert.That(figures.TakeoverTime, Is.Not.Null, $"failover {i + 1} ({from} → {to}) recovered within its window");
            var error = figures.TakeoverTime!.Value - truthTakeover;
            errors.Add(error);

            // The contract: a takeover is right to within 20 ms; where the harness itself missed samples around it, to
            // within the uncertainty the figures state (the largest gap), which is what the SLA judge then allows for.
            var allowed = figures.MissedSamples == 0 ? Tolerance : Max(Tolerance, figures.Uncertainty + figures.Resolution);
            if (error.Duration() > allowed)
            {
                beyond.Add($"failover {i + 1} ({from} → {to}): error {error.TotalMilliseconds:0.0} ms, allowed {allowed.TotalMilliseconds:0.0} ms ({figures.MissedSamples} missed, largest gap {figures.LargestGap.TotalMilliseconds:0.0} ms)");
            }

            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{from} → {to,-8} {truthTakeover.TotalMilliseconds,12:0.0} {figures.TakeoverTime.Value.TotalMilliseconds,14:0.0} {error.TotalMilliseconds,11:0.0} {figures.Failures,7} {figures.MissedSamples,7}"));
        }

        var maxError = errors.Count == 0 ? TimeSpan.Zero : errors.Max(e => e.Duration());
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{errors.Count} failovers, mean error {errors.Average(e => e.TotalMilliseconds):0.0} ms, max |error| {maxError.TotalMilliseconds:0.0} ms, {samples.Length} samples"));
        await TestContext.Out.WriteLineAsync(string.Join('\n', lines));

        if (neighbour is not null)
        {
            await TestContext.Out.WriteLineAsync($"The neighbour used {neighbour.CpuTime.TotalSeconds:0.0} s of CPU.");
            Assert.That(neighbour.CpuTime, Is.GreaterThan(TimeSpan.FromSeconds(5)), "the neighbour really kept a core busy");
        }

        var missed = ProbeAnalyzer.Analyze(probe.Series, samples, clock, timeline.StartTimestamp, samples[0].Timestamp, samples[^1].Timestamp).MissedSamples;
        Assert.That(missed, Is.LessThanOrEqualTo(samples.Length / 100), $"the harness missed {missed} of its {samples.Length + missed} ticks");
        Assert.That(failovers, Has.Count.GreaterThanOrEqualTo(10), "at least 10 failovers were seen in the kernels' events");
        Assert.That(beyond, Is.Empty, string.Join('\n', lines));
        Assert.That(errors.Count(e => e.Duration() > Tolerance), Is.LessThanOrEqualTo(1), "a stall of the harness may blur one failover, not more:\n" + string.Join('\n', lines));
        await probe.DisposeAsync();
        await ClusterLab.WaitHealthyAsync();
    }

    /// <summary>
    /// One failover per fault the test caused: the VIP's deletion on the node it was taken from (the first after the
    /// action), paired with its addition on another node (the new owner may add it a little before the old one lets go).
    /// </summary>
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static List<(AddressEvent Deleted, AddressEvent Added, string From, string To)> Failovers(IReadOnlyList<AddressEvent> events, List<(long At, string From)> actions)
    {
        var second = TimeProvider.System.TimestampFrequency;
        var result = new List<(AddressEvent, AddressEvent, string, string)>();
        foreach (var (at, from) in actions)
        {
            var deleted = events.FirstOrDefault(e => e.Deleted && e.Node == from && e.Timestamp >= at);
            var added = deleted is null ? null : events.FirstOrDefault(e => !e.Deleted && e.Node != from && e.Timestamp >= Math.Max(at, deleted.Timestamp - (second / 10)) && e.Timestamp <= deleted.Timestamp + (5 * second));
            if (deleted is not null && added is not null)
            {
                result.Add((deleted, added, deleted.Node, added.Node));
            }
        }

        return result;
    }

    private static async Task<string> WaitForOwnerAsync(AddressMonitor truth, IPAddress vip, Func<string, bool> expected)
    {
        var owner = string.Empty;
        await Waiting.Wait.UntilAsync($"The VIP {vip}", "have the expected single owner", _ =>
        {
            var owners = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in truth.Events.Where(e => e.Address.Equals(vip)))
            {
                if (e.Deleted)
                {
                    owners.Remove(e.Node);
                }
                else
                {
                    owners.Add(e.Node);
                }
            }

            owner = owners.Count == 1 ? owners.Single() : string.Empty;
            var history = string.Join("; ", truth.Events.Where(e => e.Address.Equals(vip)).Select(e => $"{(e.Deleted ? "-" : "+")}{e.Node}@{TimeProvider.System.GetElapsedTime(e.Timestamp).TotalMilliseconds:0}ms ago"));
            return Task.FromResult<(bool, string?)>((owners.Count == 1 && expected(owner), $"owners by the kernels' events: {string.Join(", ", owners)} (events: {history})"));
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(20));
        return owner;
    }

    private static async Task<string> SingleHolderAsync(IPAddress vip, string expected)
    {
        IReadOnlyList<string> holders = [];
        await Waiting.Wait.UntilAsync($"The VIP {vip}", $"be held by '{expected}' alone", async _ =>
        {
            holders = await ClusterLab.HoldersOfAsync(vip);
            return (holders.Count == 1 && holders[0] == expected, "held by: " + (holders.Count == 0 ? "nobody" : string.Join(", ", holders)));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        return holders[0];
    }
}
