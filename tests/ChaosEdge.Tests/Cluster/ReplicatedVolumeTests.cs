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
        var probe = new VolumeWriteProbe("volume-write", await EngineEndpointAsync(), ClusterProvisioner.VolumeName);
        var timeline = new RunTimeline();
        var running = new ProbeRunner(timeline).RunAsync([probe], TimeSpan.FromSeconds(20));
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");

        await Task.Delay(TimeSpan.FromSeconds(3));
        var cut = timeline.Clock.GetTimestamp();
        var off = await ProcessRunner.RunAsync("dotnet", [cli, "power", "--inventory", ClusterLab.Inventory.SourcePath, "--node", victim, "off"], timeout: TimeSpan.FromMinutes(1));
        Assert.That(off.ExitCode, Is.Zero, off.Stdout + off.Stderr);
        // The volume's robustness and each replica's mode are separate objects, written one after the other (as
        // Longhorn's controllers write them): a read between the two writes sees 'degraded' with the replica still RW.
        var degraded = await LonghornState.WaitAsync(client, ClusterProvisioner.VolumeName, s => s.Robustness == "degraded" && s.Replicas.GetValueOrDefault(victim) == "ERR", TimeSpan.FromSeconds(30));
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

    [Test]
    public async Task The_read_back_finds_an_acknowledged_write_that_is_no_longer_on_the_volume()
    {
        var endpoint = await EngineEndpointAsync();
        var probe = new VolumeWriteProbe("volume-write", endpoint, ClusterProvisioner.VolumeName, slots: 64);
        await new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(2));
        Assert.That((await probe.VerifyAsync()).Lost, Is.Empty, "all there before the damage");

        // Slot 5 gets back an older write of its own, as a replica that missed the newer one would return it.
        await using (var nbd = await NbdClient.ConnectAsync(endpoint, ClusterProvisioner.VolumeName, TimeSpan.FromSeconds(5)))
        {
            await nbd.WriteAsync(5L * ProbeBlock.Size, ProbeBlock.Create(5, 5), fua: true);
        }

        var verification = await probe.VerifyAsync();
        await probe.DisposeAsync();

        Assert.That(verification.Lost, Has.Count.EqualTo(1));
        Assert.That(verification.Lost[0], Does.StartWith("slot 5: acknowledged write #").And.EndWith("is not there (it holds #5 of slot 5)"));
    }

    [Test]
    public async Task A_real_fio_run_measures_4k_random_write_latency_at_queue_depth_1_on_the_volume()
    {
        var figures = await FioLatencyRun.RunAsync(FioLatencyRun.Nbd(await EngineEndpointAsync()), TimeSpan.FromSeconds(5));

        await TestContext.Out.WriteLineAsync($"fio 4k randwrite QD1 on the lab volume: {figures.Writes} writes, {figures.Iops:0} IOPS, p50 {figures.P50.TotalMilliseconds:0.000} ms, p99 {figures.P99.TotalMilliseconds:0.000} ms, p99.9 {figures.P999.TotalMilliseconds:0.000} ms, max {figures.Max.TotalMilliseconds:0.0} ms.");
        Assert.That(figures.Writes, Is.GreaterThan(100));
        Assert.That(figures.P50, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(figures.P99));
    }

    private static async Task<IPEndPoint> EngineEndpointAsync()
    {
        using var client = ClusterLab.Client();
        var state = await LonghornState.ReadAsync(client, ClusterProvisioner.VolumeName);
        return new IPEndPoint(ClusterLab.Inventory.Node(state.EngineNode!).Address, ClusterProvisioner.NbdPort);
    }
}
