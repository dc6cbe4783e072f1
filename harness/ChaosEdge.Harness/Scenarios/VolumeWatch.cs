using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Storage;

namespace ChaosEdge.Scenarios;

/// <summary>
/// A scenario's view of the cluster's replicated volume: the I/O probe writing to it, the volume's robustness over time
/// (each change a timeline note), and after the recovery the rebuild time and the read-back of every acknowledged write.
/// Only where the volume can be reached from the harness: the virtual lab's, over NBD from the engine's node.
/// </summary>
public sealed class VolumeWatch
{
    /// <summary>The volume the lab provisions (<c>chaosedge-io</c>) and its engine's NBD port.</summary>
    public const string LabVolume = "chaosedge-io";
    public const int LabNbdPort = 10809;

    private readonly KubeClient client;
    private readonly RunTimeline timeline;
    private readonly TimeProvider time;
    private string lastRobustness = "healthy";

    private VolumeWatch(KubeClient client, RunTimeline timeline, VolumeWriteProbe probe, TimeProvider time)
    {
        this.client = client;
        this.timeline = timeline;
        this.time = time;
        Probe = probe;
    }

    public VolumeWriteProbe Probe { get; }

    /// <summary>The watch of the lab's volume, or null when the cluster has none (a real cluster: read its CRs instead).</summary>
    public static async Task<VolumeWatch?> TryCreateAsync(LabInventory inventory, KubeClient client, RunTimeline timeline, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        if (inventory.Cluster.Runtime != ClusterRuntime.Lab)
        {
            return null;
        }

        LonghornState state;
        try
        {
            state = await LonghornState.ReadAsync(client, LabVolume, cancellationToken).ConfigureAwait(false);
        }
        catch (Errors.ChaosEdgeException)
        {
            return null;
        }

        var engine = inventory.Node(state.EngineNode ?? throw new Errors.ChaosEdgeException($"Volume '{LabVolume}' has no engine node."));
        var probe = new VolumeWriteProbe("volume-write", new IPEndPoint(engine.Address, LabNbdPort), LabVolume, interval: interval);
        return new VolumeWatch(client, timeline, probe, time);
    }

    /// <summary>Notes every change of the volume's robustness on the timeline, every 500 ms, until stopped.</summary>
    public async Task FollowAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var state = await LonghornState.ReadAsync(client, LabVolume, stop).ConfigureAwait(false);
                if (state.Robustness != lastRobustness)
                {
                    timeline.Mark(TimelineEventKind.Note, "volume", $"{LabVolume} {state.Robustness}; replicas {string.Join(", ", state.Replicas.Select(r => $"{r.Key} {r.Value}"))}");
                    lastRobustness = state.Robustness;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException or Errors.ChaosEdgeException)
            {
                // The API may be away with a faulted node; the volume is read again on the next round.
            }
        }
    }

    /// <summary>
    /// After the recovery: waits (up to <paramref name="timeout"/>) for the volume to be healthy again — the rebuild —
    /// and reads every acknowledged write back. Returns notes for the record and the lost writes, if any.
    /// </summary>
    public async Task<(IReadOnlyList<string> Notes, IReadOnlyList<string> Lost)> FinishAsync(long restoredAt, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var healthy = await LonghornState.WaitAsync(client, LabVolume, s => s.Robustness == "healthy", timeout, time, cancellationToken).ConfigureAwait(false);
        var rebuilt = time.GetElapsedTime(restoredAt);
        timeline.Mark(TimelineEventKind.Note, "volume", $"{LabVolume} healthy again");
        notes.Add(lastRobustness == "healthy"
            ? $"volume {LabVolume} stayed healthy"
            : $"volume {LabVolume} healthy again {rebuilt.TotalSeconds:0.0} s after the restore (rebuild included); replicas {string.Join(", ", healthy.Replicas.Select(r => $"{r.Key} {r.Value}"))}");
        var verification = await Probe.VerifyAsync(cancellationToken).ConfigureAwait(false);
        notes.Add($"volume writes: {verification.WritesAcknowledged} acknowledged, {verification.SlotsChecked} blocks read back, {verification.Lost.Count} lost");
        return (notes, verification.Lost);
    }
}
