using System.Net;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Processes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Storage;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The lab's Longhorn-style volume on the lab cluster: replicated writes, the engine-replica timeout when a replica's
/// node loses power, degraded operation, the rebuild when it returns, and not one acknowledged write lost.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ReplicatedVolumeTests
{
    [Test]
    public async Task A_replica_nodes_power_cut_stalls_writes_for_the_replica_timeout_then_the_volume_runs_degraded_rebuilds_and_loses_nothing()
    {
        using var client = ClusterLab.Client();
        var state = await LonghornState.ReadAsync(client, ClusterProvisioner.VolumeName);
        Assert.That(state.Robustness, Is.EqualTo("healthy"));
        var victim = state.ReplicaOnlyNodes.First();
        var engine = ClusterLab.Inventory.Node(state.EngineNode!);
        var probe = new VolumeWriteProbe("volume-write", new IPEndPoint(engine.Address, ClusterProvisioner.NbdPort), ClusterProvisioner.VolumeName);
        var timeline = new RunTimeline();
        var running = new ProbeRunner(timeline).RunAsync([probe], TimeSpan.FromSeconds(20));
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");

        await Task.Delay(TimeSpan.FromSeconds(3));
        var cut = timeline.Clock.GetTimestamp();
        var off = await ProcessRunner.RunAsync("dotnet", [cli, "power", "--inventory", ClusterLab.Inventory.SourcePath, "--node", victim, "off"], timeout: TimeSpan.FromMinutes(1));
        Assert.That(off.ExitCode, Is.Zero, off.Stdout + off.Stderr);
        var degraded = await LonghornState.WaitAsync(client, ClusterProvisioner.VolumeName, s => s.Robustness == "degraded", TimeSpan.FromSeconds(30));
        await running;
        var on = await ProcessRunner.RunAsync("dotnet", [cli, "power", "--inventory", ClusterLab.Inventory.SourcePath, "--node", victim, "on"], timeout: TimeSpan.FromMinutes(2));
        Assert.That(on.ExitCode, Is.Zero, on.Stdout + on.Stderr);
        var rebuildStarted = timeline.Clock.GetTimestamp();
        var healthy = await LonghornState.WaitAsync(client, ClusterProvisioner.VolumeName, s => s.Robustness == "healthy", TimeSpan.FromMinutes(3));
        var rebuild = timeline.Clock.GetElapsedTime(rebuildStarted);
        var verification = await probe.VerifyAsync();
        await probe.DisposeAsync();

        var samples = probe.Series.Samples.ToSortedArray();
        var baseline = samples.Where(s => s.Timestamp < cut && s.Succeeded).Select(s => s.LatencyMicroseconds / 1000.0).Order().ToList();
        var stall = samples.Where(s => s.Timestamp >= cut && s.Succeeded).Max(s => s.LatencyMicroseconds) / 1000.0;
        await TestContext.Out.WriteLineAsync(
            $"Replica node '{victim}' powered off: baseline p50 {baseline[baseline.Count / 2]:0.0} ms, p99 {baseline[(int)(baseline.Count * 0.99)]:0.0} ms; " +
            $"longest stall {stall:0} ms (replica timeout {ClusterProvisioner.ReplicaTimeout.TotalMilliseconds:0} ms); replica {degraded.Replicas[victim]}; " +
            $"rebuild to healthy {rebuild.TotalSeconds:0.0} s after power-on; {verification.WritesAcknowledged} writes acknowledged, {verification.SlotsChecked} blocks read back, {verification.Lost.Count} lost.");

        Assert.That(samples.Count(s => !s.Succeeded), Is.Zero, "a replica's loss stalls writes, it does not fail them");
        Assert.That(stall, Is.InRange(ClusterProvisioner.ReplicaTimeout.TotalMilliseconds - 500, ClusterProvisioner.ReplicaTimeout.TotalMilliseconds + 2500), "the stall is the engine-replica timeout");
        Assert.That(degraded.Replicas[victim], Is.EqualTo("ERR"));
        Assert.That(verification.Lost, Is.Empty);
        Assert.That(verification.SlotsChecked, Is.GreaterThan(500));
        await ClusterLab.WaitHealthyAsync();
    }
}
