using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Health;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Record;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Scenarios;

public sealed partial class ScenarioRunner
{
    /// <summary>The lab's work for each phase: its nodes, its API, its probes, its journal.</summary>
    private sealed class LabSteps(ScenarioRunner runner, ScenarioDefinition scenario, IScenarioObserver observer, IScenarioWorkload? workload, KubeClient client, IPEndPoint service)
        : IScenarioSteps, IAsyncDisposable
    {
        private readonly ScenarioEnvironment environment = runner.Lab;
        private readonly HealthGate gate = new(runner.Lab.Inventory, runner.Lab.Shells, client, runner.Lab.Time);
        private readonly RunTimeline timeline = new(runner.Lab.Time);
        private readonly CancellationTokenSource stopProbes = new();
        private readonly List<string> notes = [];
        private IReadOnlyList<string> targets = [];
        private IFault? fault;
        private IReadOnlyList<IProbe> probes = [];
        private VolumeWatch? volume;
        private ISwitchClient? switchClient;
        private ClientArpTimings? clientArp;
        private ProbeRunner? probeRunner;
        private Task running = Task.CompletedTask;
        private Task live = Task.CompletedTask;
        private Task following = Task.CompletedTask;
        private bool probesStopped;
        private long end;
        private FaultWindow faultWindow;
        private string? dataLoss;

        private TimeProvider Time => environment.Time;

        /// <summary>Set by the analysis.</summary>
        public ScenarioResult? Result { get; private set; }

        public Task HealthGateAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
            gate.WaitHealthyAsync(service.Address, timeout, observer.Step, cancellationToken);

        public async Task<string> PrepareAsync(CancellationToken cancellationToken)
        {
            var inventory = environment.Inventory;
            var resolved = await new TargetResolver(inventory, environment.Shells, client, service, Time, observer.Step).ResolveAsync(scenario, cancellationToken).ConfigureAwait(false);
            targets = resolved.Targets;
            fault = FaultFactory.Create(scenario.Fault, targets, FaultTraits.For(scenario.Fault).Duration(scenario.MaximumHold), Time, resolved.Peers);
            BlastRadius.Check(inventory, [fault], scenario.QuorumLossIntended);
            observer.Step($"Target: {fault.Description} (role {scenario.Target})");

            // The campaign's application probes first (they hold nothing until they sample): their service's address is
            // looked up now, so a service that is missing fails the scenario before any other probe is made.
            var application = new List<IProbe>();
            foreach (var spec in scenario.ApplicationProbes)
            {
                var endpoint = await ApplicationProbes.ResolveAsync(spec, client, cancellationToken).ConfigureAwait(false);
                var probe = ApplicationProbes.Create(spec, endpoint);
                observer.Step(string.Create(CultureInfo.InvariantCulture, $"Application probe {spec.Name}: {probe.Series.Target} every {probe.Series.Interval.TotalMilliseconds:0} ms, timeout {probe.Series.Timeout.TotalMilliseconds:0} ms"));
                application.Add(probe);
            }

            var lifetime = scenario.Baseline + scenario.MaximumHold + scenario.AfterRestore + TimeSpan.FromMinutes(5);
            probes = [.. ProbeSet.Default(inventory, environment.KubeConfig, service, environment.Shells, lifetime, fault.UnreachableNodes), .. application];
            volume = await VolumeWatch.TryCreateAsync(inventory, client, environment.Shells, timeline, scenario.VolumeProbeInterval, Time, cancellationToken).ConfigureAwait(false);
            if (volume is not null)
            {
                probes = [.. probes, volume.Probe];
            }

            if (scenario.WorkloadProbe)
            {
                probes = [.. probes, new WorkloadReadyProbe(WorkloadProbeName, environment.KubeConfig, SampleWorkload.Namespace, SampleWorkload.Name, timeline, targets)];
            }

            // The client's probes, which need the switch.
            switchClient = scenario.ClientProbe ? await runner.AttachClientAsync(scenario, service, observer, cancellationToken).ConfigureAwait(false) : null;
            if (switchClient is not null)
            {
                clientArp = await switchClient.ArpTimingsAsync(cancellationToken).ConfigureAwait(false);
                observer.Step($"Client ARP: {clientArp}");
                probes = [.. probes, new ClientRequestProbe(ClientProbeName, switchClient.CreateTcpSocketAsync, service)];

                // The switch's view: which MACs answer for each VIP the client may use.
                var nodes = inventory.Nodes.Where(n => environment.Shells.ContainsKey(n.Name)).Select(n => (environment.Shells[n.Name], n.Interface)).ToList();
                probes = [.. probes, .. new[] { inventory.ControlPlane.Vip, service.Address }.Distinct().Select(vip => new ArpViewProbe($"arp-{vip}", vip, nodes))];
            }

            return fault.Description;
        }

        public Task StartProbesAsync(CancellationToken cancellationToken)
        {
            probeRunner = new ProbeRunner(timeline) { WarmUp = TimeSpan.FromMilliseconds(500) };
            running = probeRunner.RunAsync(probes, null, stopProbes.Token);
            live = runner.ReportLiveAsync(observer, timeline, stopProbes.Token);
            following = volume?.FollowAsync(stopProbes.Token) ?? Task.CompletedTask;
            return Task.CompletedTask;
        }

        public async Task BaselineReadyAsync(CancellationToken cancellationToken)
        {
            while (probeRunner!.RecordingStarted == 0 || Time.GetTimestamp() < probeRunner.RecordingStarted)
            {
                if (running.IsCompleted)
                {
                    await running.ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), Time, cancellationToken).ConfigureAwait(false);
            }

            if (workload is not null)
            {
                await workload.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task<IAppliedFault> InjectAsync(CancellationToken cancellationToken)
        {
            var context = new FaultContext(environment.Inventory, environment.Shells, Time, observer.Step);
            return new AppliedSession(await FaultSession.InjectAsync(fault!, context, environment.Journal, timeline, cancellationToken).ConfigureAwait(false));
        }

        public bool Recovered(long since) => ScenarioRunner.Recovered(timeline, scenario.RecoveryProbes, since);

        public async Task StopProbesAsync()
        {
            probesStopped = true;
            try
            {
                await stopProbes.CancelAsync().ConfigureAwait(false);
                await running.ConfigureAwait(false);
                await live.ConfigureAwait(false);
                await following.ConfigureAwait(false);
            }
            finally
            {
                // Each release happens whatever the one before it threw: the probes' connections and agents, the
                // workload's writers, and the client with the switch's ARP guard (before the recovery gate).
                end = Time.GetTimestamp();
                try
                {
                    await DisposeProbesAsync().ConfigureAwait(false);
                }
                finally
                {
                    try
                    {
                        if (workload is not null)
                        {
                            await workload.StopAsync().ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        await DisposeClientAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        public Task DiagnoseAsync() => runner.ReportDiagnosticsAsync(observer, scenario.Name);

        public async Task VerifyAsync(FaultWindow window, CancellationToken cancellationToken)
        {
            faultWindow = window;
            if (volume is not null)
            {
                await ScenarioPhases.PhaseAsync(observer, ScenarioPhase.RecoveryGate, "Wait for the volume to be healthy (rebuilt) and read every acknowledged write back", async () =>
                {
                    var (volumeNotes, lost) = await volume.FinishAsync(window, scenario.RecoveryGateTimeout, cancellationToken).ConfigureAwait(false);
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
                    notes.AddRange(await workload.VerifyAsync(window, cancellationToken).ConfigureAwait(false));
                }
                catch (DataLossException e)
                {
                    // Judged with the figures, not instead of them: the run record still tells what happened.
                    dataLoss = e.Message;
                    notes.Add("DATA LOSS: " + e.Message);
                    observer.Step("DATA LOSS: " + e.Message);
                }
            }
        }

        public async Task AnalyseAsync(TimeSpan recoveryGate, CancellationToken cancellationToken)
        {
            var inventory = environment.Inventory;
            foreach (var etcd in timeline.Probes.Where(p => p.Kind == Measurement.ProbeKinds.Etcd))
            {
                LeaderChanges.Mark(timeline, etcd);
            }

            var figures = ProbeAnalyzer.AnalyzeAll(timeline, probeRunner!.RecordingStarted, end);
            if (clientArp is not null)
            {
                notes.Add(ClientNote(scenario, figures, clientArp));
                observer.Step(notes[^1]);
            }

            var verdicts = SlaJudge.Judge(environment.Sla, scenario.Name, figures, inventory.ControlPlaneVipShape);
            JsonObject record = RunRecord.Build(timeline, figures, new Dictionary<string, string>
            {
                ["scenario"] = scenario.Name, ["fault"] = fault!.Description, ["target"] = string.Join(",", targets),
                ["cluster"] = inventory.ClusterName, ["sla"] = environment.Sla.SourcePath, ["vipShape"] = inventory.ControlPlaneVipShape, ["recoveryGate"] = Seconds(recoveryGate),
                ["notes"] = string.Join(" | ", notes),
                ["clientArp"] = clientArp?.ToString() ?? string.Empty,
            }, verdicts);
            await RunRecord.WriteAsync(Path.Combine(environment.RecordDirectoryOf(scenario.Name), "run.json"), record, cancellationToken).ConfigureAwait(false);
            foreach (var verdict in verdicts)
            {
                observer.Step($"{verdict.Outcome.ToString().ToUpperInvariant()} {verdict.Threshold.Probe} {verdict.Threshold.Metric}: {verdict.Measured} (limit {verdict.Threshold.Text}, margin {verdict.Margin}) {verdict.Reason}");
            }

            Result = new ScenarioResult(scenario, targets, fault.Description, timeline, figures, verdicts, record, recoveryGate, notes) { DataLoss = dataLoss, ClientArp = clientArp };
        }

        public async ValueTask DisposeAsync()
        {
            // Probes never started or never stopped (a failure while preparing): what was made still goes.
            try
            {
                if (!probesStopped)
                {
                    await DisposeProbesAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                await DisposeClientAsync().ConfigureAwait(false);
                stopProbes.Dispose();
            }
        }

        /// <summary>Disposes every probe made, each whatever the others threw (the first error is rethrown).</summary>
        private async Task DisposeProbesAsync()
        {
            var made = probes;
            probes = [];
            List<Exception>? errors = null;
            foreach (var probe in made)
            {
                try
                {
                    await probe.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is ChaosEdgeException or IOException or InvalidOperationException or OperationCanceledException)
                {
                    (errors ??= []).Add(e);
                }
            }

            if (errors is { Count: > 0 })
            {
                throw errors[0];
            }
        }

        private async Task DisposeClientAsync()
        {
            if (switchClient is { } attached)
            {
                switchClient = null;
                await attached.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>A <see cref="FaultSession"/> as the phases hold it.</summary>
    private sealed class AppliedSession(FaultSession session) : IAppliedFault
    {
        public long TookEffect => session.TookEffect;

        public Task RestoreAsync(CancellationToken cancellationToken) => session.RestoreAsync(cancellationToken);

        public ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
