using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Targets;
using ChaosEdge.Health;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Record;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Waiting;

namespace ChaosEdge.Scenarios;

/// <summary>
/// Runs one scenario: health gate (refuses a sick cluster, saying what is sick) → baseline → inject → observe (until
/// the watched probes recovered and the minimum hold passed, or the maximum) → restore → recovery gate (full health,
/// or the lab is marked dirty) → analysis → SLA verdicts. Probes run from before the baseline until after the restore.
/// </summary>
public sealed class ScenarioRunner(ScenarioEnvironment environment)
{
    private const int SustainedSuccesses = 5;

    /// <summary>The probe <see cref="ScenarioDefinition.WorkloadProbe"/> adds.</summary>
    public const string WorkloadProbeName = "workload-ready";

    /// <summary>The probe <see cref="ScenarioDefinition.ClientProbe"/> adds.</summary>
    public const string ClientProbeName = "client-tcp";

    /// <summary>The sample workload the service-VIP probes reach, as provisioning deploys it.</summary>
    public static readonly (string Namespace, string Name, string Selector) SampleWorkload = ("default", "edge-app", "app=edge-app");

    public async Task<ScenarioResult> RunAsync(ScenarioDefinition scenario, IScenarioObserver observer, IScenarioWorkload? workload = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(observer);
        environment.Condition.EnsureClean(scenario.Name);
        var inventory = environment.Inventory;
        var time = environment.Time;
        using var client = new KubeClient(environment.KubeConfig, TimeSpan.FromSeconds(5));
        var service = await ServiceEndpointAsync(client, cancellationToken).ConfigureAwait(false);
        var gate = new HealthGate(inventory, environment.Shells, client, time);

        await PhaseAsync(observer, ScenarioPhase.HealthGate, "Refuse to start on a sick cluster", async () =>
        {
            try
            {
                await gate.WaitHealthyAsync(service.Address, TimeSpan.FromMinutes(2), observer.Step, cancellationToken).ConfigureAwait(false);
            }
            catch (GateTimeoutException e)
            {
                throw new ChaosEdgeException($"Scenario '{scenario.Name}' refuses to start on a sick cluster: {e.Message}", e);
            }
        }).ConfigureAwait(false);

        var (targets, peers) = await ResolveTargetsAsync(scenario, client, service, observer, cancellationToken).ConfigureAwait(false);

        // A NIC comes back when its node-side timer says; a partition's timers are a safety net behind the harness's restore.
        var duration = scenario.Fault == FaultKind.NicDown ? scenario.MaximumHold : scenario.MaximumHold + TimeSpan.FromMinutes(1);
        var fault = FaultFactory.Create(scenario.Fault, targets, duration, time, peers);
        BlastRadius.Check(inventory, [fault], scenario.QuorumLossIntended);
        observer.Step($"Target: {fault.Description} (role {scenario.Target})");

        var timeline = new RunTimeline(time);
        var lifetime = scenario.Baseline + scenario.MaximumHold + scenario.AfterRestore + TimeSpan.FromMinutes(5);
        var probes = ProbeSet.Default(inventory, environment.KubeConfig, service, environment.Shells, lifetime, fault.UnreachableNodes);
        var volume = await VolumeWatch.TryCreateAsync(inventory, client, environment.Shells, timeline, scenario.VolumeProbeInterval, time, cancellationToken).ConfigureAwait(false);
        if (volume is not null)
        {
            probes = [.. probes, volume.Probe];
        }

        if (scenario.WorkloadProbe)
        {
            probes = [.. probes, new WorkloadReadyProbe(WorkloadProbeName, environment.KubeConfig, SampleWorkload.Namespace, SampleWorkload.Name, timeline, targets)];
        }
        ClientArpTimings? clientArp = null;
        await using var switchClient = scenario.ClientProbe ? await AttachClientAsync(scenario, service, observer, cancellationToken).ConfigureAwait(false) : null;
        if (switchClient is not null)
        {
            clientArp = await switchClient.ArpTimingsAsync(cancellationToken).ConfigureAwait(false);
            observer.Step($"Client ARP: {clientArp}");
            probes = [.. probes, new ClientRequestProbe(ClientProbeName, switchClient.CreateTcpSocketAsync, service)];

            // The switch's view: which MACs answer for each VIP the client may use.
            var nodes = inventory.Nodes.Where(n => environment.Shells.ContainsKey(n.Name)).Select(n => (environment.Shells[n.Name], n.Interface)).ToList();
            probes = [.. probes, .. new[] { inventory.ControlPlane.Vip, service.Address }.Distinct().Select(vip => new ArpViewProbe($"arp-{vip}", vip, nodes))];
        }

        var runner = new ProbeRunner(timeline) { WarmUp = TimeSpan.FromMilliseconds(500) };
        using var stopProbes = new CancellationTokenSource();
        var context = new FaultContext(inventory, environment.Shells, time, observer.Step);
        long end;
        var faultWindow = default(FaultWindow);
        var running = runner.RunAsync(probes, null, stopProbes.Token);
        var live = ReportLiveAsync(observer, timeline, stopProbes.Token);
        var following = volume?.FollowAsync(stopProbes.Token) ?? Task.CompletedTask;
        try
        {
            await PhaseAsync(observer, ScenarioPhase.Baseline, $"Probe the healthy cluster for {Seconds(scenario.Baseline)} s", async () =>
            {
                while (runner.RecordingStarted == 0 || time.GetTimestamp() < runner.RecordingStarted)
                {
                    if (running.IsCompleted)
                    {
                        await running.ConfigureAwait(false);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken).ConfigureAwait(false);
                }

                if (workload is not null)
                {
                    await workload.StartAsync(cancellationToken).ConfigureAwait(false);
                }

                await Task.Delay(scenario.Baseline, time, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

            FaultSession? session = null;
            await PhaseAsync(observer, ScenarioPhase.Inject, $"Inject {fault.Description}", async () =>
                session = await FaultSession.InjectAsync(fault, context, environment.Journal, timeline, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            var applied = session!;
            await using (applied.ConfigureAwait(false))
            {
                await PhaseAsync(observer, ScenarioPhase.Observe, $"Observe for {Seconds(scenario.MinimumHold)}–{Seconds(scenario.MaximumHold)} s, until {string.Join(", ", scenario.RecoveryProbes)} recovered", async () =>
                {
                    while (true)
                    {
                        var held = time.GetElapsedTime(applied.TookEffect);
                        if (held >= scenario.MaximumHold)
                        {
                            observer.Step($"Maximum hold of {Seconds(scenario.MaximumHold)} s reached");
                            return;
                        }

                        if (scenario.Fault != FaultKind.NicDown && held >= scenario.MinimumHold && Recovered(timeline, scenario.RecoveryProbes, applied.TookEffect))
                        {
                            observer.Step($"{string.Join(", ", scenario.RecoveryProbes)} recovered; restoring after {Seconds(held)} s");
                            return;
                        }

                        await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);

                faultWindow = new FaultWindow(applied.TookEffect, time.GetTimestamp());
                await PhaseAsync(observer, ScenarioPhase.Restore, $"Restore {fault.Description} and verify", async () =>
                {
                    try
                    {
                        await applied.RestoreAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (FaultRevertException e)
                    {
                        environment.Condition.MarkDirty($"{fault.Description} could not be restored: {e.Message}");
                        throw;
                    }
                }).ConfigureAwait(false);
            }

            observer.Step($"Probing {Seconds(scenario.AfterRestore)} s more after the restore");
            await Task.Delay(scenario.AfterRestore, time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopProbes.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
            await live.ConfigureAwait(false);
            await following.ConfigureAwait(false);
            end = time.GetTimestamp();
            foreach (var probe in probes)
            {
                await probe.DisposeAsync().ConfigureAwait(false);
            }

            if (workload is not null)
            {
                await workload.StopAsync().ConfigureAwait(false);
            }

            if (switchClient is not null)
            {
                // The client and the switch's ARP guard go with the probes, before the recovery gate.
                await switchClient.DisposeAsync().ConfigureAwait(false);
            }
        }

        var gateStarted = time.GetTimestamp();
        await PhaseAsync(observer, ScenarioPhase.RecoveryGate, $"Wait up to {Seconds(scenario.RecoveryGateTimeout)} s for full health", async () =>
        {
            try
            {
                await gate.WaitHealthyAsync(service.Address, scenario.RecoveryGateTimeout, observer.Step, cancellationToken).ConfigureAwait(false);
            }
            catch (GateTimeoutException e)
            {
                environment.Condition.MarkDirty($"the cluster did not recover after '{scenario.Name}': {e.Message}");
                await ReportDiagnosticsAsync(observer, scenario.Name).ConfigureAwait(false);
                throw;
            }
        }).ConfigureAwait(false);
        var recoveryGate = time.GetElapsedTime(gateStarted);

        var notes = new List<string>();
        string? dataLoss = null;
        if (volume is not null)
        {
            await PhaseAsync(observer, ScenarioPhase.RecoveryGate, "Wait for the volume to be healthy (rebuilt) and read every acknowledged write back", async () =>
            {
                var (volumeNotes, lost) = await volume.FinishAsync(faultWindow, scenario.RecoveryGateTimeout, cancellationToken).ConfigureAwait(false);
                notes.AddRange(volumeNotes);
                foreach (var note in volumeNotes)
                {
                    observer.Step(note);
                }

                if (lost.Count > 0)
                {
                    dataLoss = $"{lost.Count} acknowledged volume write(s) lost: {string.Join("; ", lost.Take(5))}";
                    notes.Add("DATA LOSS: " + dataLoss);
                    observer.Step("DATA LOSS: " + dataLoss);
                }
            }).ConfigureAwait(false);
        }

        if (workload is not null)
        {
            try
            {
                notes.AddRange(await workload.VerifyAsync(faultWindow, cancellationToken).ConfigureAwait(false));
            }
            catch (DataLossException e)
            {
                // Judged with the figures, not instead of them: the run record still tells what happened.
                dataLoss = e.Message;
                notes.Add("DATA LOSS: " + e.Message);
                observer.Step("DATA LOSS: " + e.Message);
            }
        }

        IReadOnlyList<ProbeFigures> figures = [];
        IReadOnlyList<SlaVerdict> verdicts = [];
        System.Text.Json.Nodes.JsonObject record = [];
        await PhaseAsync(observer, ScenarioPhase.Analysis, "Analyse the timeline and judge it against the SLA", async () =>
        {
            foreach (var etcd in timeline.Probes.Where(p => p.Kind == ChaosEdge.Measurement.ProbeKinds.Etcd))
            {
                LeaderChanges.Mark(timeline, etcd);
            }

            figures = ProbeAnalyzer.AnalyzeAll(timeline, runner.RecordingStarted, end);
            if (clientArp is not null)
            {
                notes.Add(ClientNote(scenario, figures, clientArp));
                observer.Step(notes[^1]);
            }

            verdicts = SlaJudge.Judge(environment.Sla, scenario.Name, figures, inventory.ControlPlaneVipShape);
            record = RunRecord.Build(timeline, figures, new Dictionary<string, string>
            {
                ["scenario"] = scenario.Name, ["fault"] = fault.Description, ["target"] = string.Join(",", targets),
                ["cluster"] = inventory.ClusterName, ["sla"] = environment.Sla.SourcePath, ["vipShape"] = inventory.ControlPlaneVipShape, ["recoveryGate"] = Seconds(recoveryGate),
                ["notes"] = string.Join(" | ", notes),
                ["clientArp"] = clientArp?.ToString() ?? string.Empty,
            }, verdicts);
            await RunRecord.WriteAsync(Path.Combine(environment.OutputDirectory, scenario.Name, "run.json"), record, cancellationToken).ConfigureAwait(false);
            foreach (var verdict in verdicts)
            {
                observer.Step($"{verdict.Outcome.ToString().ToUpperInvariant()} {verdict.Threshold.Probe} {verdict.Threshold.Metric}: {verdict.Measured} (limit {verdict.Threshold.Text}, margin {verdict.Margin}) {verdict.Reason}");
            }
        }).ConfigureAwait(false);

        return new ScenarioResult(scenario, targets, fault.Description, timeline, figures, verdicts, record, recoveryGate, notes) { DataLoss = dataLoss, ClientArp = clientArp };
    }

    /// <summary>Puts the client on the switch, with the ARP guard on its port when the scenario asks for it.</summary>
    private async Task<ISwitchClient> AttachClientAsync(ScenarioDefinition scenario, IPEndPoint service, IScenarioObserver observer, CancellationToken cancellationToken)
    {
        var attach = environment.AttachClient
            ?? throw new ChaosEdgeException($"Scenario '{scenario.Name}' probes from a client on the cluster's switch; ChaosEdge puts one only on the virtual lab it builds.");
        var switchClient = await attach(cancellationToken).ConfigureAwait(false);
        try
        {
            observer.Step($"Client: {switchClient.Description}");
            if (scenario.ArpGuard)
            {
                await switchClient.SetArpGuardAsync([service.Address], true, cancellationToken).ConfigureAwait(false);
                observer.Step($"ARP guard on the client's switch port: gratuitous ARP for {service.Address} is not forwarded to it");
            }

            return switchClient;
        }
        catch
        {
            await switchClient.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// What the client's outage was bounded by: the cluster's move with gratuitous ARP, or its own ARP cache behind the
    /// guard. Longest outages, not takeovers: after the move, connections balanced to a replica on the dead node fail
    /// now and then until its endpoint is dropped, which is the service's recovery, not the address's.
    /// </summary>
    internal static string ClientNote(ScenarioDefinition scenario, IReadOnlyList<ProbeFigures> figures, ClientArpTimings arp)
    {
        static string Longest(ProbeFigures? f) => f is null ? "not measured" : $"{f.LongestOutage.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s";
        var client = figures.FirstOrDefault(f => f.Probe == ClientProbeName);
        var cluster = figures.FirstOrDefault(f => f.Probe == "service-vip-tcp");
        return scenario.ArpGuard
            ? $"client-tcp lost the service VIP for {Longest(client)}: the switch dropped the new holder's gratuitous ARP, so the client kept sending to the old holder's MAC until its ARP entry expired (client ARP: {arp}). The outage is bounded by the client's ARP cache, not by the cluster: the harness's service-vip-tcp, which heard the gratuitous ARP, lost it for {Longest(cluster)}."
            : $"client-tcp lost the service VIP for {Longest(client)}, following the new holder's gratuitous ARP (the harness's service-vip-tcp: {Longest(cluster)}); without it the client would have waited for its ARP entry to expire (client ARP: {arp}).";
    }

    /// <summary>
    /// When the cluster does not recover: what each node's services last said (the K3s service's log, the boot log),
    /// to the observer and to <c>NAME/diagnostics.txt</c> in the output directory, so a dirty lab says why.
    /// </summary>
    private async Task ReportDiagnosticsAsync(IScenarioObserver observer, string scenario)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (name, shell) in environment.Shells)
        {
            string lines;
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                var result = await shell.RunAsync("for f in /var/log/k3s.log /var/log/k3s-agent.log /var/log/ce-boot.log; do [ -f $f ] && { echo \"== $f\"; tail -n 25 $f; }; done; echo '== processes'; ps -eo pid,stat,args --no-headers | grep -E 'k3s|etcd|keepalived|dnsmasq' | grep -v grep", cancellationToken: limit.Token).ConfigureAwait(false);
                lines = result.Stdout + result.Stderr;
            }
            catch (Exception e) when (e is ChaosEdgeException or OperationCanceledException)
            {
                lines = "(could not be read: " + e.Message + ")";
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"=== {name}").AppendLine(lines.TrimEnd());
        }

        var report = Secrets.SecretRedactor.Redact(text.ToString());
        foreach (var line in report.Split('\n'))
        {
            observer.Step("diagnostics: " + line);
        }

        var path = Path.Combine(environment.OutputDirectory, scenario, "diagnostics.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Tells the observer every 500 ms how each probe is doing, until the probes stop.</summary>
    private async Task ReportLiveAsync(IScenarioObserver observer, RunTimeline timeline, CancellationToken stop)
    {
        var time = environment.Time;
        var downSince = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = time.GetTimestamp();
            observer.ProbesNow([.. timeline.Probes.Select(p =>
            {
                var recent = p.Samples.Latest(256);
                if (recent.Length == 0)
                {
                    return new LiveProbe(p.Name, null, 0, TimeSpan.Zero);
                }

                if (recent[^1].Succeeded)
                {
                    downSince.Remove(p.Name);
                    return new LiveProbe(p.Name, true, p.Samples.Count, TimeSpan.Zero);
                }

                // Failing now: since the first failure of this run of failures, remembered across reports so a long
                // outage is not cut to the recent samples' span.
                if (!downSince.TryGetValue(p.Name, out var since))
                {
                    var first = recent.Length - 1;
                    while (first > 0 && !recent[first - 1].Succeeded)
                    {
                        first--;
                    }

                    since = recent[first].Timestamp;
                    downSince[p.Name] = since;
                }

                return new LiveProbe(p.Name, false, p.Samples.Count, time.GetElapsedTime(since, now));
            })]);
        }
    }

    private async Task<(IReadOnlyList<string> Targets, IReadOnlyList<string>? Peers)> ResolveTargetsAsync(ScenarioDefinition scenario, KubeClient client, IPEndPoint service, IScenarioObserver observer, CancellationToken cancellationToken)
    {
        var inventory = environment.Inventory;
        var shells = environment.Shells;
        var servers = inventory.Servers.Select(s => s.Name).ToList();
        IReadOnlyList<string> targets = scenario.Target switch
        {
            TargetRole.VipHolder => [await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)],
            TargetRole.NonHolder => [await ClusterRoles.NonHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)],
            TargetRole.EtcdLeader => [await LeaderAwayFromVipAsync(observer, cancellationToken).ConfigureAwait(false)],
            TargetRole.EtcdFollower => [await FollowerAsync(cancellationToken).ConfigureAwait(false)],
            TargetRole.DnsReplicaNode => [(await ClusterRoles.DnsReplicaNodesAsync(client, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
                ?? throw new ChaosEdgeException("No node runs a cluster DNS replica.")],
            TargetRole.AllButVipHolder => [.. servers.Except([await ClusterRoles.VipHolderAsync(inventory, shells, cancellationToken).ConfigureAwait(false)])],
            TargetRole.ReplicaOnlyNode => [await ReplicaOnlyNodeAsync(client, cancellationToken).ConfigureAwait(false)],
            TargetRole.EngineNode => [await EngineNodeAsync(client, cancellationToken).ConfigureAwait(false)],
            TargetRole.WorkloadAgent => [await WorkloadAgentAsync(client, observer, cancellationToken).ConfigureAwait(false)],
            TargetRole.ServiceVipHolder => [await ClusterRoles.ServiceVipHolderAsync(inventory, shells, service, cancellationToken).ConfigureAwait(false)],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario.Target, "Unknown role."),
        };

        IReadOnlyList<string>? peers = scenario.Fault == FaultKind.Partition ? [.. inventory.Nodes.Select(n => n.Name).Except(targets)] : null;
        return (targets, peers);
    }

    /// <summary>A node holding a replica but not the engine; one that does not hold the VIP when there is one, so the volume's figures are the replica's loss alone.</summary>
    private async Task<string> ReplicaOnlyNodeAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var volume = await VolumeWatch.VolumeAsync(environment.Inventory, client, cancellationToken).ConfigureAwait(false);
        var state = await Storage.LonghornState.ReadAsync(client, volume, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(environment.Inventory, environment.Shells, cancellationToken).ConfigureAwait(false);
        var candidates = state.ReplicaOnlyNodes.ToList();
        return candidates.FirstOrDefault(n => n != holder) ?? candidates.FirstOrDefault()
            ?? throw new ChaosEdgeException($"Volume '{volume}' has no replica outside its engine's node.");
    }

    /// <summary>The node the probe volume is attached to (its engine's).</summary>
    private async Task<string> EngineNodeAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var volume = await VolumeWatch.VolumeAsync(environment.Inventory, client, cancellationToken).ConfigureAwait(false);
        return (await Storage.LonghornState.ReadAsync(client, volume, cancellationToken).ConfigureAwait(false)).EngineNode
            ?? throw new ChaosEdgeException($"Volume '{volume}' has no engine node: it is not attached.");
    }

    /// <summary>
    /// An agent running a Ready replica of the sample workload (the first by name). When the replicas all run on
    /// servers (nothing moves them back after an agent's loss), one is moved first: its pod on a server is deleted, and
    /// the scheduler, which spreads replicas, places the replacement on the least-loaded feasible node — an agent. A
    /// replacement that lands elsewhere is reported, not retried.
    /// </summary>
    private async Task<string> WorkloadAgentAsync(KubeClient client, IScenarioObserver observer, CancellationToken cancellationToken)
    {
        var agents = environment.Inventory.Nodes.Where(n => n.Role == NodeRole.Agent).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var (ns, name, selector) = SampleWorkload;
        if (agents.Count == 0)
        {
            throw new ChaosEdgeException($"The cluster has no agents (the inventory names servers only); the scenario faults an agent running the sample workload {ns}/{name}.");
        }

        var pods = await ClusterRoles.WorkloadPodsAsync(client, ns, selector, cancellationToken).ConfigureAwait(false);
        if (pods.Where(p => p.Ready && agents.Contains(p.Node)).Select(p => p.Node).Order(StringComparer.Ordinal).FirstOrDefault() is { } carrying)
        {
            return carrying;
        }

        if (pods.Count == 0)
        {
            throw new ChaosEdgeException($"The sample workload {ns}/{name} has no pods.");
        }

        var moved = pods.Where(p => !agents.Contains(p.Node)).OrderBy(p => p.Name, StringComparer.Ordinal).First();
        observer.Step($"No agent runs a replica of {ns}/{name} (they run on {string.Join(", ", pods.Select(p => p.Node).Distinct())}): deleting pod '{moved.Name}' on '{moved.Node}' so that the scheduler places its replacement on an agent");
        await client.DeleteAsync(ResourcePath.Pods.For(ns, moved.Name), cancellationToken: cancellationToken).ConfigureAwait(false);
        var desired = pods.Count;
        string? placed = null;
        await Wait.UntilAsync($"The sample workload {ns}/{name}", "run a Ready replica on an agent", async token =>
        {
            var now = await ClusterRoles.WorkloadPodsAsync(client, ns, selector, token).ConfigureAwait(false);
            placed = now.Where(p => p.Ready && agents.Contains(p.Node)).Select(p => p.Node).Order(StringComparer.Ordinal).FirstOrDefault();
            return (placed is not null && now.Count(p => p.Ready) >= desired, $"replicas on {string.Join(", ", now.Select(p => $"{p.Node}{(p.Ready ? string.Empty : " (not Ready)")}"))}");
        }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), cancellationToken: cancellationToken).ConfigureAwait(false);
        return placed!;
    }

    /// <summary>
    /// The etcd leader, as the target of an etcd scenario: one that does not hold the control-plane VIP. Stopping K3s on
    /// the VIP holder also moves the VIP (keepalived tracks the API server), and the etcd scenarios measure an election,
    /// not a VIP failover (the Failover suite does). When the leader holds the VIP, the leadership is first moved to a
    /// server that does not, as the follower scenarios already pick a follower that does not hold it.
    /// </summary>
    private async Task<string> LeaderAwayFromVipAsync(IScenarioObserver observer, CancellationToken cancellationToken)
    {
        var leader = await ClusterRoles.EtcdLeaderAsync(environment.Inventory, environment.Shells, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(environment.Inventory, environment.Shells, cancellationToken).ConfigureAwait(false);
        if (leader != holder || environment.Inventory.EtcdMembers.Select(s => s.Name).FirstOrDefault(n => n != holder) is not { } other)
        {
            return leader;
        }

        observer.Step($"etcd's leader '{leader}' also holds the VIP: moving the leadership to '{other}' first, so that the scenario measures an etcd election, not a VIP failover");
        await ClusterRoles.MoveEtcdLeaderAsync(environment.Inventory, environment.Shells, leader, other, environment.Time, cancellationToken).ConfigureAwait(false);
        return other;
    }

    private async Task<string> FollowerAsync(CancellationToken cancellationToken)
    {
        var leader = await ClusterRoles.EtcdLeaderAsync(environment.Inventory, environment.Shells, cancellationToken).ConfigureAwait(false);
        var holder = await ClusterRoles.VipHolderAsync(environment.Inventory, environment.Shells, cancellationToken).ConfigureAwait(false);
        var followers = environment.Inventory.EtcdMembers.Select(s => s.Name).Where(n => n != leader).ToList();
        return followers.FirstOrDefault(n => n != holder) ?? followers[0];
    }

    private static bool Recovered(RunTimeline timeline, IReadOnlyList<string> probes, long since)
    {
        foreach (var pattern in probes)
        {
            // A name (or pattern) that matches no probe cannot show a recovery: the fault is held to its maximum
            // rather than restored early on the strength of a probe that was never there.
            var matching = timeline.Probes.Where(p => Measurement.Probes.ProbePattern.Matches(pattern, p.Name)).ToList();
            if (matching.Count == 0)
            {
                return false;
            }

            foreach (var series in matching)
            {
                var after = series.Samples.ToSortedArray().Where(s => s.Timestamp >= since).ToList();
                if (after.Count < SustainedSuccesses || !after.TakeLast(SustainedSuccesses).All(s => s.Succeeded))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The sample edge workload's LoadBalancer endpoint, which the probes and the health gate use. The API may answer
    /// 5xx for a moment after a fault (an etcd election); that is waited out, up to a minute.
    /// </summary>
    public static async Task<IPEndPoint> ServiceEndpointAsync(KubeClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        IPEndPoint? endpoint = null;
        await Wait.UntilAsync("The API", "answer for service default/edge-app", async token =>
        {
            try
            {
                endpoint = await client.LoadBalancerAsync(SampleWorkload.Namespace, SampleWorkload.Name, token).ConfigureAwait(false)
                    ?? throw new ChaosEdgeException("Service default/edge-app has no load-balancer address; is the cluster provisioned?");
                return (true, null);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException || (e is KubeApiException api && (int)api.Status >= 500))
            {
                return (false, e.Message);
            }
        }, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500), cancellationToken: cancellationToken).ConfigureAwait(false);
        return endpoint!;
    }

    private static async Task PhaseAsync(IScenarioObserver observer, ScenarioPhase phase, string description, Func<Task> body)
    {
        observer.PhaseStarted(phase, description);
        try
        {
            await body().ConfigureAwait(false);
            observer.PhaseEnded(phase, null);
        }
        catch (Exception e)
        {
            observer.PhaseEnded(phase, e);
            throw;
        }
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
