using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>The probes against the real lab cluster: a healthy cluster is measured as healthy, and each failure is named right.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ProbeTests
{
    [Test]
    public async Task The_default_probes_measure_a_healthy_cluster_as_fully_available_at_their_cadence()
    {
        using var client = ClusterLab.Client();
        var service = await client.GetAsync(ResourcePath.Services.For("default", "edge-app"));
        var serviceVip = IPAddress.Parse((string)service["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]!);
        var probes = ProbeSet.Default(ClusterLab.Inventory, ClusterLab.KubeConfig, new IPEndPoint(serviceVip, 80));
        var timeline = new RunTimeline();

        var runner = new ProbeRunner(timeline) { WarmUp = TimeSpan.FromMilliseconds(500) };
        await runner.RunAsync(probes, TimeSpan.FromSeconds(3));
        foreach (var probe in probes)
        {
            await probe.DisposeAsync();
        }

        var end = timeline.Clock.GetTimestamp();
        var figures = ProbeAnalyzer.AnalyzeAll(timeline, runner.RecordingStarted, end);
        foreach (var f in figures)
        {
            await TestContext.Out.WriteLineAsync($"{f.Probe}: {f.Samples} samples, {f.Failures} failed, {f.MissedSamples} missed, p50 {f.Latency?.P50.TotalMilliseconds:0.00} ms, p99 {f.Latency?.P99.TotalMilliseconds:0.00} ms");
        }

        Assert.That(figures.Select(f => f.Probe), Is.EquivalentTo(new[] { "vip-tcp", "vip-icmp", "api-readyz-fresh", "api-readyz-long", "service-vip-tcp" }));
        Assert.Multiple(() =>
        {
            foreach (var f in figures)
            {
                Assert.That(f.Availability, Is.EqualTo(1.0), $"{f.Probe}: {string.Join(", ", f.Errors.Select(e => $"{e.Key} {e.Value}"))}");
                // A cold process may miss ticks at first; every slot must still be either sampled or counted as missed.
                var slots = (int)(3 / f.Resolution.TotalSeconds);
                Assert.That(f.Samples + f.MissedSamples, Is.GreaterThanOrEqualTo((int)(0.9 * slots)), $"{f.Probe}: every slot is sampled or counted as missed");
                Assert.That(f.Samples, Is.GreaterThanOrEqualTo((int)(0.75 * slots)), $"{f.Probe} keeps its cadence");
            }
        });
    }

    [Test]
    public async Task A_closed_port_is_measured_as_refused()
    {
        var node = ClusterLab.Inventory.Nodes[0].Address;
        await using var probe = new TcpConnectProbe("closed", new IPEndPoint(node, 9));

        var sample = await probe.SampleAsync(TimeProvider.System.GetTimestamp(), TimeProvider.System, CancellationToken.None);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Refused));
    }

    [Test]
    public async Task A_handshake_the_kernel_finished_while_the_harness_was_stalled_past_its_timeout_is_a_success_and_an_unanswered_one_a_timeout()
    {
        // An address nobody has yet: the SYN waits in the harness's neighbour queue, so the connect is surely still
        // pending when the probe arms its timeout. While the harness "stalls", edge-1 takes the address, answers the
        // next ARP request (1 s later) and the handshake completes in the kernel, unseen.
        var node = ClusterLab.Inventory.Nodes[0].Address.ToString();
        var late = IPAddress.Parse(node[..node.LastIndexOf('.')] + ".250");
        var nobody = IPAddress.Parse(node[..node.LastIndexOf('.')] + ".251");
        var edge1 = ClusterLab.Shell("edge-1");
        var takeAddress = $"ip addr add {late}/32 dev {LabShape.DefaultInterface}";
        var stalled = new StalledClock(TimeSpan.FromSeconds(2), () => edge1.RunCheckedAsync(takeAddress).GetAwaiter().GetResult());
        var idle = new StalledClock(TimeSpan.FromSeconds(2), () => { });
        await using var answered = new TcpConnectProbe("late", new IPEndPoint(late, ClusterLab.Inventory.ControlPlane.Port));
        await using var unanswered = new TcpConnectProbe("nobody", new IPEndPoint(nobody, 22));
        try
        {
            var seen = await answered.SampleAsync(stalled.GetTimestamp(), stalled, CancellationToken.None);
            var unseen = await unanswered.SampleAsync(idle.GetTimestamp(), idle, CancellationToken.None);

            Assert.Multiple(() =>
            {
                Assert.That(seen.Outcome, Is.EqualTo(ProbeOutcome.Success), "the handshake completed while the harness was away");
                Assert.That(seen.LatencyMicroseconds, Is.GreaterThanOrEqualTo(2_000_000), "counted to when the harness saw it");
                Assert.That(unseen.Outcome, Is.EqualTo(ProbeOutcome.Timeout), $"nothing has {nobody} (its ARP goes unanswered)");
            });
        }
        finally
        {
            await edge1.RunAsync($"ip addr del {late}/32 dev {LabShape.DefaultInterface}");
        }
    }

    [Test]
    public async Task An_API_server_certificate_from_another_CA_is_measured_as_a_TLS_failure_never_as_available()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=not-the-cluster-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var probe = new HttpProbe("wrong-ca", new Uri($"https://{ClusterLab.Vip}:6443/readyz"), otherCa, HttpConnectionMode.Fresh);

        var sample = await probe.SampleAsync(TimeProvider.System.GetTimestamp(), TimeProvider.System, CancellationToken.None);

        Assert.That(sample.Outcome, Is.EqualTo(ProbeOutcome.Tls));
    }

    [Test]
    public async Task Two_owners_of_the_VIP_at_once_are_measured_as_duplicate_owner_time_close_to_the_kernels_events()
    {
        var clock = TimeProvider.System;
        var names = new LabNames(ClusterLab.LabName);
        using var truth = new AddressMonitor(ClusterLab.Inventory.Nodes.ToDictionary(n => n.Name, n => names.Namespace(n.Name)), clock);
        var holder = (await ClusterLab.HoldersOfAsync(ClusterLab.Vip)).Single();
        var intruder = ClusterLab.Inventory.Servers.First(s => s.Name != holder);
        var shells = ClusterLab.Inventory.Servers.ToDictionary(n => n.Name, n => (INodeShell)ClusterLab.Shell(n.Name));
        var probe = new VipOwnerProbe("vip-owner", ClusterLab.Vip, [.. ClusterLab.Inventory.Servers.Select(n => (shells[n.Name], n.Interface))]);
        var timeline = new RunTimeline(clock);
        var running = new ProbeRunner(timeline).RunAsync([probe], TimeSpan.FromSeconds(4));

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await ClusterLab.Shell(intruder.Name).RunCheckedAsync($"ip addr add {ClusterLab.Vip}/32 dev eth0; sleep 0.5; ip addr del {ClusterLab.Vip}/32 dev eth0");
        await running;
        await probe.DisposeAsync();

        var events = truth.Events.Where(e => e.Node == intruder.Name && e.Address.Equals(ClusterLab.Vip)).ToList();
        Assert.That(events.Select(e => e.Deleted), Is.EqualTo(new[] { false, true }), "the kernel saw the address come and go on the intruder");
        var truthDuplicate = clock.GetElapsedTime(events[0].Timestamp, events[1].Timestamp);
        var samples = probe.Series.Samples.ToSortedArray();
        var figures = ProbeAnalyzer.Analyze(probe.Series, samples, clock, timeline.StartTimestamp, samples[0].Timestamp, samples[^1].Timestamp + 1);
        await TestContext.Out.WriteLineAsync($"Two owners ({holder}, {intruder.Name}): kernel {truthDuplicate.TotalMilliseconds:0.0} ms, measured {figures.DuplicateOwnerTime?.TotalMilliseconds:0.0} ms.");

        Assert.That(figures.DuplicateOwnerTime!.Value - truthDuplicate, Is.LessThan(TimeSpan.FromMilliseconds(30)).And.GreaterThan(TimeSpan.FromMilliseconds(-30)));
        Assert.That(figures.OwnerChanges, Is.EqualTo(2));
        Assert.That(samples[^1].Detail, Is.EqualTo(1 << ClusterLab.Inventory.Servers.ToList().FindIndex(s => s.Name == holder)), "the holder alone owns the VIP at the end");
        var left = await ClusterLab.Shell(holder).RunAsync("pgrep -f '[i]p -o monitor address'");
        Assert.That(left.ExitCode, Is.EqualTo(1), "no monitor is left running on the nodes");
    }

    [Test]
    public async Task The_DNS_agent_answers_from_inside_the_cluster_on_the_harness_clock_and_leaves_nothing_running()
    {
        var node = ClusterLab.Inventory.Nodes[1];
        var shell = ClusterLab.Shell(node.Name);
        var good = new DnsAgentProbe("dns", shell, ClusterLab.Inventory.Cluster.DnsServiceIp, maxLifetime: TimeSpan.FromMinutes(1));
        var missing = new DnsAgentProbe("dns-missing", shell, ClusterLab.Inventory.Cluster.DnsServiceIp, "no-such-service.default.svc.cluster.local", maxLifetime: TimeSpan.FromMinutes(1));
        var timeline = new RunTimeline();
        var before = timeline.Clock.GetTimestamp();

        await new ProbeRunner(timeline).RunAsync([good, missing], TimeSpan.FromSeconds(3));
        var running = await shell.RunAsync($"kill -s 0 -- -{good.AgentProcessGroup}");
        Assert.That(running.ExitCode, Is.Zero, "the agent runs until the probe ends it (and the check below sees a live group)");
        await good.DisposeAsync();
        await missing.DisposeAsync();
        var after = timeline.Clock.GetTimestamp();

        var samples = good.Series.Samples.ToSortedArray();
        await TestContext.Out.WriteLineAsync($"DNS from {node.Name}: {samples.Length} samples, clock error {good.Series.ClockError?.TotalMilliseconds:0.00} ms, p50 latency {samples.Select(s => s.LatencyMicroseconds).Order().ElementAt(samples.Length / 2) / 1000.0:0.00} ms");
        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.Length.InRange(25, 40), "every 100 ms from the agent's start to its end, about 3 s");
            Assert.That(samples.Select(s => s.Outcome), Has.All.EqualTo(ProbeOutcome.Success));
            Assert.That(samples.Select(s => s.Timestamp), Has.All.InRange(before, after), "node send times mapped into the run on the harness clock");
            Assert.That(good.Series.ClockError, Is.GreaterThan(TimeSpan.Zero).And.LessThan(TimeSpan.FromMilliseconds(500)), "the mapping's error bound is recorded");
            Assert.That(missing.Series.Samples.ToSortedArray().Select(s => (s.Outcome, s.Detail)), Has.All.EqualTo((ProbeOutcome.DnsRcode, (ushort)3)), "NXDOMAIN");
        });
        foreach (var group in new[] { good.AgentProcessGroup, missing.AgentProcessGroup })
        {
            Assert.That(group, Is.Not.Null);
            var alive = await shell.RunAsync($"kill -s 0 -- -{group}");
            Assert.That(alive.ExitCode, Is.Not.Zero, $"no process of agent group {group} is left running");
        }
    }

    [Test]
    public async Task The_full_probe_set_with_node_side_probes_leaves_nothing_running_on_the_nodes()
    {
        var shells = ClusterLab.Inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n));
        try
        {
            var probes = ProbeSet.Default(ClusterLab.Inventory, ClusterLab.KubeConfig, null, shells, agentLifetime: TimeSpan.FromMinutes(2));
            var timeline = new RunTimeline();

            await new ProbeRunner(timeline).RunAsync(probes, TimeSpan.FromSeconds(2));
            foreach (var probe in probes)
            {
                await probe.DisposeAsync();
            }

            Assert.That(timeline.Probes.Select(p => p.Name), Is.SupersetOf(new[] { "vip-owner", "etcd", "dns-edge-1", "dns-edge-2", "dns-edge-3" }));
            Assert.That(timeline.Probes.Where(p => p.Name.StartsWith("dns-", StringComparison.Ordinal)).Select(p => p.Samples.Count), Has.All.GreaterThan(10));
            var groups = probes.OfType<DnsAgentProbe>().Select(p => p.AgentProcessGroup).ToList();
            foreach (var (probe, group) in probes.OfType<DnsAgentProbe>().Zip(groups))
            {
                var alive = await ClusterLab.Shell("edge-1").RunAsync($"kill -s 0 -- -{group}");
                Assert.That(alive.ExitCode, Is.Not.Zero, $"{probe.Series.Name}: agent group {group} is gone");
            }
        }
        finally
        {
            foreach (var shell in shells.Values)
            {
                await shell.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The system clock, but arming a timer "stalls" the harness: on the thread that arms it, <paramref name="meanwhile"/>
    /// runs, then the stall passes and the timer's callback runs at once — before the harness can see anything else.
    /// </summary>
    private sealed class StalledClock(TimeSpan stall, Action meanwhile) : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                meanwhile();
                Thread.Sleep(stall);
                callback(state);
            }

            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
