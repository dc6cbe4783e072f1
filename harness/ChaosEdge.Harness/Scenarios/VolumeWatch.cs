using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;
using ChaosEdge.Storage;

namespace ChaosEdge.Scenarios;

/// <summary>
/// A scenario's view of the cluster's replicated volume: the I/O probe writing to it, the volume's robustness over time
/// (each change a timeline note), and after the recovery the rebuild time and the read-back of every acknowledged write.
/// On the virtual lab the probe writes over NBD from the harness; on a real cluster the node-side agent writes to the
/// volume's block device on the node it is attached to (the engine's node).
/// </summary>
public sealed class VolumeWatch
{
    /// <summary>The volume the lab provisions (<c>chaosedge-io</c>) and its engine's NBD port.</summary>
    public const string LabVolume = "chaosedge-io";
    public const int LabNbdPort = 10809;

    /// <summary>
    /// On a real cluster, the PersistentVolumeClaim (namespace <c>default</c>) of the probe's volume: a block-mode Longhorn
    /// volume that ChaosEdge's provisioning creates and keeps attached with a pod.
    /// </summary>
    public const string ProbeClaim = "chaosedge-io";

    /// <summary>The agent writes no more often than every 100 ms: each write starts a few processes on the node.</summary>
    public static readonly TimeSpan AgentMinimumInterval = TimeSpan.FromMilliseconds(100);

    private readonly KubeClient client;
    private readonly RunTimeline timeline;
    private readonly TimeProvider time;
    private readonly string volume;
    private string lastRobustness = "healthy";
    private string? worstRobustness;
    private long? healthyAgain;

    private VolumeWatch(KubeClient client, RunTimeline timeline, string volume, IVolumeProbe probe, TimeProvider time)
    {
        this.client = client;
        this.timeline = timeline;
        this.time = time;
        this.volume = volume;
        Probe = probe;
    }

    public IVolumeProbe Probe { get; }

    /// <summary>
    /// The Longhorn volume the probe uses: the lab's own, or on a real cluster the one bound to <see cref="ProbeClaim"/>;
    /// null when there is none (a cluster provisioned without Longhorn).
    /// </summary>
    public static async Task<string?> FindVolumeAsync(LabInventory inventory, KubeClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(client);
        if (inventory.Cluster.Runtime == ClusterRuntime.Lab)
        {
            return LabVolume;
        }

        var claim = await client.TryCallAsync($"GET {ResourcePath.PersistentVolumeClaims.For("default", ProbeClaim)}",
            (c, t) => k8s.CoreV1OperationsExtensions.ReadNamespacedPersistentVolumeClaimAsync(c.CoreV1, ProbeClaim, "default", cancellationToken: t), cancellationToken).ConfigureAwait(false);
        return claim is null ? null : claim.Spec?.VolumeName
            ?? throw new Errors.ChaosEdgeException($"PersistentVolumeClaim 'default/{ProbeClaim}' is not bound to a volume; provisioning waits for it ('chaosedge provision').");
    }

    /// <summary>The probe volume's name, or an error saying there is none.</summary>
    public static async Task<string> VolumeAsync(LabInventory inventory, KubeClient client, CancellationToken cancellationToken = default) =>
        await FindVolumeAsync(inventory, client, cancellationToken).ConfigureAwait(false)
        ?? throw new Errors.ChaosEdgeException($"The cluster has no probe volume (PersistentVolumeClaim 'default/{ProbeClaim}'): provision it with Longhorn (the inventory's k3s.longhorn block).");

    /// <summary>The watch of the cluster's probe volume, or null when it has none.</summary>
    public static async Task<VolumeWatch?> TryCreateAsync(LabInventory inventory, KubeClient client, IReadOnlyDictionary<string, INodeShell> shells, RunTimeline timeline, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(shells);
        if (await FindVolumeAsync(inventory, client, cancellationToken).ConfigureAwait(false) is not { } volume)
        {
            return null;
        }

        LonghornState state;
        try
        {
            state = await LonghornState.ReadAsync(client, volume, cancellationToken).ConfigureAwait(false);
        }
        catch (Errors.ChaosEdgeException) when (inventory.Cluster.Runtime == ClusterRuntime.Lab)
        {
            return null;
        }

        var engine = inventory.Node(state.EngineNode ?? throw new Errors.ChaosEdgeException($"Volume '{volume}' has no engine node: it is not attached."));
        IVolumeProbe probe = inventory.Cluster.Runtime == ClusterRuntime.Lab
            ? new VolumeWriteProbe("volume-write", new IPEndPoint(engine.Address, LabNbdPort), volume, interval: interval)
            : new VolumeAgentProbe("volume-write", shells[engine.Name], $"/dev/longhorn/{volume}", interval: interval < AgentMinimumInterval ? AgentMinimumInterval : interval);
        return new VolumeWatch(client, timeline, volume, probe, time);
    }

    /// <summary>
    /// Baseline and incident write latency, and how long after the fault began writes were back to baseline: after the
    /// incident's worst moment (the first failed write, else the slowest), the first acknowledged write from which five
    /// in a row were no slower than the baseline's p99.
    /// </summary>
    internal static string? BackToBaseline(IReadOnlyList<Sample> samples, long faultTookEffect, TimeProvider time)
    {
        static double Ms(int microseconds) => microseconds / 1000.0;
        var baseline = samples.Where(s => s.Timestamp < faultTookEffect && s.Succeeded).Select(s => s.LatencyMicroseconds).Order().ToList();
        var incident = samples.Where(s => s.Timestamp >= faultTookEffect).ToList();
        if (baseline.Count < 10 || incident.Count == 0)
        {
            return null;
        }

        var p50 = baseline[baseline.Count / 2];
        var p99 = baseline[Math.Min(baseline.Count - 1, (int)(baseline.Count * 0.99))];
        var incidentLatencies = incident.Where(s => s.Succeeded).Select(s => s.LatencyMicroseconds).Order().ToList();
        var text = $"volume writes: baseline p50 {Ms(p50):0.0} ms, p99 {Ms(p99):0.0} ms; after the fault p99 {(incidentLatencies.Count == 0 ? "-" : $"{Ms(incidentLatencies[Math.Min(incidentLatencies.Count - 1, (int)(incidentLatencies.Count * 0.99))]):0.0} ms")}, max {(incidentLatencies.Count == 0 ? "-" : $"{Ms(incidentLatencies[^1]):0} ms")}";
        // The incident's worst moment: the first failed write, else the slowest one.
        var hit = incident.FindIndex(s => !s.Succeeded);
        if (hit < 0)
        {
            var slowest = incident.Max(s => s.LatencyMicroseconds);
            if (slowest <= p99)
            {
                return text + "; no write slower than the baseline's p99";
            }

            hit = incident.FindIndex(s => s.LatencyMicroseconds == slowest);
        }

        for (var i = hit + 1; i + 5 <= incident.Count; i++)
        {
            if (incident.Skip(i).Take(5).All(s => s.Succeeded && s.LatencyMicroseconds <= p99))
            {
                var answered = incident[i].Timestamp + (long)(incident[i].LatencyMicroseconds * (time.TimestampFrequency / 1_000_000.0));
                return text + $"; back to baseline {time.GetElapsedTime(faultTookEffect, answered).TotalSeconds:0.000} s after the fault began";
            }
        }

        return text + "; not back to baseline before the probes stopped";
    }

    /// <summary>Notes every change of the volume's robustness on the timeline, every 500 ms, until stopped.</summary>
    public async Task FollowAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var state = await LonghornState.ReadAsync(client, volume, stop).ConfigureAwait(false);
                if (state.Robustness is "degraded" or "faulted" && worstRobustness != "faulted")
                {
                    worstRobustness = state.Robustness;
                }

                if (state.Robustness != lastRobustness)
                {
                    healthyAgain = state.Robustness == "healthy" ? time.GetTimestamp() : null;
                    timeline.Mark(TimelineEventKind.Note, "volume", $"{volume} {state.Robustness}; replicas {string.Join(", ", state.Replicas.Select(r => $"{r.Key} {r.Value}"))}");
                    lastRobustness = state.Robustness;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException or Errors.ChaosEdgeException)
            {
                // The API may be away with a faulted node; the volume is read again on the next round, not at once
                // (an API that fails fast would otherwise be asked in a tight loop, and the harness would miss samples).
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// After the recovery: waits (up to <paramref name="timeout"/>) for the volume to be healthy again — the rebuild —
    /// and reads every acknowledged write back. Returns notes for the record and the lost writes, if any.
    /// </summary>
    public async Task<(IReadOnlyList<string> Notes, IReadOnlyList<string> Lost)> FinishAsync(FaultWindow window, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var restoredAt = window.RestoreStarted;
        var notes = new List<string>();
        // The baseline ends where the injection began: a power cut stalls writes before its BMC confirms it took effect.
        var injected = timeline.Events.FirstOrDefault(e => e.Kind == TimelineEventKind.FaultInjected)?.Timestamp ?? window.TookEffect;
        if (BackToBaseline(Probe.Series.Samples.ToSortedArray(), injected, time) is { } back)
        {
            notes.Add(back);
        }

        var healthy = await LonghornState.WaitAsync(client, volume, s => s.Robustness == "healthy", timeout, time, cancellationToken).ConfigureAwait(false);
        var rebuilt = time.GetElapsedTime(restoredAt, healthyAgain ?? time.GetTimestamp());
        timeline.Mark(TimelineEventKind.Note, "volume", $"{volume} healthy again");
        notes.Add(worstRobustness is null
            ? $"volume {volume} stayed healthy"
            : $"volume {volume} was {worstRobustness}, healthy again {rebuilt.TotalSeconds:0.0} s after the restore began (rebuild included); replicas {string.Join(", ", healthy.Replicas.Select(r => $"{r.Key} {r.Value}"))}");
        var verification = await Probe.VerifyAsync(cancellationToken).ConfigureAwait(false);
        notes.Add($"volume writes: {verification.WritesAcknowledged} acknowledged, {verification.SlotsChecked} blocks read back, {verification.Lost.Count} lost");
        return (notes, verification.Lost);
    }
}
