using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Agent;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Processes;
using ChaosEdge.Scenarios;
using ChaosEdge.Ssh;
using ChaosEdge.Storage;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The node-side volume agent, as it runs on a real cluster's node: through the lab node's real sshd, writing with real
/// dd, O_DIRECT and O_DSYNC to a real block device (a loop device, which the node sees in its /dev as a Longhorn volume
/// would be seen in /dev/longhorn), read back and checked by the harness.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class VolumeAgentProbeTests
{
    private string image = null!;
    private string device = null!;

    [SetUp]
    public async Task CreateDevice()
    {
        image = Path.Combine(Path.GetTempPath(), $"ce-volume-{Guid.NewGuid():N}.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(16 << 20);
        }

        device = (await Host("losetup", "-f", "--show", image)).Trim();
    }

    [TearDown]
    public async Task RemoveDevice()
    {
        // The read-only flag outlives the loop device's detach: the next test would get a read-only device.
        await Host("blockdev", "--setrw", device);
        await Host("losetup", "-d", device);
        File.Delete(image);
    }

    [Test]
    public async Task Every_acknowledged_write_is_read_back_and_a_damaged_block_is_named()
    {
        var shell = ClusterLab.Shell(ClusterLab.Inventory.Nodes[0].Name);
        var probe = new VolumeAgentProbe("volume-write", shell, device, slots: 256, interval: TimeSpan.FromMilliseconds(50), maxLifetime: TimeSpan.FromMinutes(1));
        await new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(3));
        await probe.DisposeAsync();

        var samples = probe.Series.Samples.ToSortedArray();
        var latencies = samples.Select(s => s.LatencyMicroseconds / 1000.0).Order().ToList();
        await TestContext.Out.WriteLineAsync($"Agent writes on {shell.NodeName}: {samples.Length} samples, p50 {latencies[latencies.Count / 2]:0.00} ms, max {latencies[^1]:0.00} ms, clock error {probe.Series.ClockError?.TotalMilliseconds:0.00} ms, last error {probe.LastError ?? "none"}");
        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.Length.InRange(40, 70), "every 50 ms for about 3 s");
            Assert.That(samples.Select(s => s.Outcome), Has.All.EqualTo(ProbeOutcome.Success));
            Assert.That(probe.Acknowledged, Is.EqualTo(samples.Length));
        });

        var verification = await probe.VerifyAsync();
        Assert.That(verification.Lost, Is.Empty);
        Assert.That(verification.SlotsChecked, Is.EqualTo(samples.Length));
        var block = await ReadBlockAsync(1);
        Assert.That(block, Is.EqualTo(ProbeBlock.CreateText(1, 1)), "the agent's block is the harness's text layout, byte for byte");

        // A block damaged behind the probe's back (one byte of the payload), and one older write put back over a newer.
        await Host("sh", "-c", $"printf X | dd of={device} bs=1 seek={(2 * 4096) + 500} conv=notrunc status=none && sync");
        var older = Path.Combine(Path.GetTempPath(), $"ce-block-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(older, ProbeBlock.CreateText(2, 3));
        await Host("dd", $"if={older}", $"of={device}", "bs=4096", "seek=3", "conv=notrunc", "status=none");
        File.Delete(older);
        verification = await probe.VerifyAsync();
        Assert.That(verification.Lost, Is.EqualTo(new[]
        {
            "slot 2: acknowledged write #2 is not there (the block is damaged)",
            "slot 3: acknowledged write #3 is not there (it holds #2 of slot 3)",
        }));
    }

    [Test]
    public async Task An_agent_that_dies_is_started_again_and_numbers_on()
    {
        var shell = ClusterLab.Shell(ClusterLab.Inventory.Nodes[1].Name);
        var probe = new VolumeAgentProbe("volume-write", shell, device, slots: 256, interval: TimeSpan.FromMilliseconds(50), maxLifetime: TimeSpan.FromMinutes(1));
        var run = new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await ProbeAgent.StopAsync(shell, probe.AgentProcessGroup!.Value);
        await run;
        await probe.DisposeAsync();

        var left = await shell.RunAsync("pgrep -f '[c]e-probe-agent.sh volume'");
        var verification = await probe.VerifyAsync();
        Assert.Multiple(() =>
        {
            Assert.That(probe.Restarts, Is.EqualTo(1));
            Assert.That(left.ExitCode, Is.EqualTo(1), "no agent is left running on the node");
            Assert.That(verification.Lost, Is.Empty, "a write cut off by the agent's end was never acknowledged, and every acknowledged one is there");
            Assert.That(probe.Acknowledged, Is.GreaterThan(50), "writes went on after the restart");
        });
    }

    [Test]
    public async Task A_device_that_refuses_writes_gives_failed_samples_not_silence()
    {
        await Host("blockdev", "--setro", device);
        var shell = ClusterLab.Shell(ClusterLab.Inventory.Nodes[0].Name);
        var probe = new VolumeAgentProbe("volume-write", shell, device, slots: 256, interval: TimeSpan.FromMilliseconds(50), maxLifetime: TimeSpan.FromMinutes(1));
        await new ProbeRunner(new RunTimeline()).RunAsync([probe], TimeSpan.FromSeconds(2));
        await probe.DisposeAsync();

        var samples = probe.Series.Samples.ToSortedArray();
        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.Length.GreaterThan(20));
            Assert.That(samples.Select(s => s.Outcome), Has.All.EqualTo(ProbeOutcome.Error));
            Assert.That(probe.Acknowledged, Is.Zero);
            Assert.That(probe.LastError, Does.Contain("Operation not permitted").Or.Contain("Read-only"), "dd's own words reach the harness");
        });
    }

    [Test]
    public async Task A_missing_device_is_named_when_the_probe_starts()
    {
        var shell = ClusterLab.Shell(ClusterLab.Inventory.Nodes[0].Name);
        var probe = new VolumeAgentProbe("volume-write", shell, "/dev/longhorn/no-such-volume", maxLifetime: TimeSpan.FromMinutes(1));
        var e = (await Assert.ThrowsAsync<Errors.ChaosEdgeException>(() => probe.StartAsync()))!;
        Assert.That(e!.Message, Does.Contain("'/dev/longhorn/no-such-volume'").And.Contain("is not a block device on"));
    }

    [Test]
    public async Task On_a_real_cluster_the_watch_finds_the_volume_by_its_claim_and_writes_on_the_engines_node_through_the_agent()
    {
        // The real-cluster path with everything real but Longhorn: the claim ChaosEdge's K3s provisioning creates, bound
        // to the lab's volume (whose engine and replicas the lab publishes in Longhorn's resources), and a block device
        // where Longhorn puts an attached volume's (the loop device, linked as /dev/longhorn/chaosedge-io).
        using var client = ClusterLab.Client();
        var claims = ResourcePath.PersistentVolumeClaims.For("default");
        var claim = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject { ["name"] = VolumeWatch.ProbeClaim, ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["volumeMode"] = "Block", ["volumeName"] = VolumeWatch.LabVolume },
        };
        var k3s = ClusterLab.Inventory with { Cluster = ClusterLab.Inventory.Cluster with { Runtime = ClusterRuntime.K3s } };
        var shells = ClusterLab.Inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)ClusterLab.Shell(n.Name), StringComparer.Ordinal);
        Assert.That(await VolumeWatch.FindVolumeAsync(k3s, client), Is.Null, "no claim, no probe volume");

        await client.CreateAsync(claims, claim);
        Directory.CreateDirectory("/dev/longhorn");
        File.CreateSymbolicLink($"/dev/longhorn/{VolumeWatch.LabVolume}", device);
        try
        {
            var engine = (await LonghornState.ReadAsync(client, VolumeWatch.LabVolume)).EngineNode;
            var timeline = new RunTimeline();
            var watch = await VolumeWatch.TryCreateAsync(k3s, client, shells, timeline, TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None);
            Assert.That(watch, Is.Not.Null);
            var probe = watch!.Probe;
            Assert.Multiple(() =>
            {
                Assert.That(probe, Is.TypeOf<VolumeAgentProbe>());
                Assert.That(probe.Series.Target, Is.EqualTo($"/dev/longhorn/{VolumeWatch.LabVolume} on {engine} (node-side agent)"));
                Assert.That(probe.Series.Interval, Is.EqualTo(VolumeWatch.AgentMinimumInterval), "20 ms asked, the agent's 100 ms given");
            });

            await new ProbeRunner(timeline).RunAsync([probe], TimeSpan.FromSeconds(2));
            await probe.DisposeAsync();
            var verification = await probe.VerifyAsync();
            Assert.Multiple(() =>
            {
                Assert.That(probe.Series.Samples.ToSortedArray().Select(s => $"{s.Outcome} {s.LatencyMicroseconds}"), Has.All.StartWith("Success"));
                Assert.That(probe.Series.Samples.ToSortedArray(), Has.Length.InRange(15, 25), "every 100 ms for about 2 s");
                Assert.That(verification.Lost, Is.Empty);
                Assert.That(verification.SlotsChecked, Is.EqualTo(probe.Acknowledged));
            });
        }
        finally
        {
            File.Delete($"/dev/longhorn/{VolumeWatch.LabVolume}");
            Directory.Delete("/dev/longhorn");
            await client.DeleteAsync(ResourcePath.PersistentVolumeClaims.For("default", VolumeWatch.ProbeClaim));
        }
    }

    private async Task<byte[]> ReadBlockAsync(int slot)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"ce-block-{Guid.NewGuid():N}");
        await Host("dd", $"if={device}", $"of={copy}", "bs=4096", $"skip={slot.ToString(CultureInfo.InvariantCulture)}", "count=1", "iflag=direct", "status=none");
        var bytes = await File.ReadAllBytesAsync(copy);
        File.Delete(copy);
        return bytes;
    }

    private static async Task<string> Host(string command, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(command, arguments, timeout: TimeSpan.FromSeconds(30));
        Assert.That(result.ExitCode, Is.Zero, $"{command} {string.Join(' ', arguments)}: {result.Stderr}");
        return result.Stdout;
    }
}
