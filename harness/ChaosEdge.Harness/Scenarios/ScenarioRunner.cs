using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Waiting;

namespace ChaosEdge.Scenarios;

/// <summary>
/// Runs one scenario: health gate (refuses a sick cluster, saying what is sick) → baseline → inject → observe (until
/// the watched probes recovered and the minimum hold passed, or the maximum) → restore → recovery gate (full health,
/// or the lab is marked dirty) → analysis → SLA verdicts. Probes run from before the baseline until after the restore.
/// </summary>
public sealed partial class ScenarioRunner(ScenarioEnvironment environment)
{
    private const int SustainedSuccesses = 5;

    private ScenarioEnvironment Lab => environment;

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
        using var client = new KubeClient(environment.KubeConfig, TimeSpan.FromSeconds(5));
        var service = await ServiceEndpointAsync(client, cancellationToken).ConfigureAwait(false);
        await using var steps = new LabSteps(this, scenario, observer, workload, client, service);
        await new ScenarioPhases(scenario, steps, observer, environment.Condition, environment.Time).RunAsync(cancellationToken).ConfigureAwait(false);
        return steps.Result!;
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

        var path = Path.Combine(environment.RecordDirectoryOf(scenario), "diagnostics.txt");
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

    private static string Seconds(TimeSpan value) => ScenarioPhases.Seconds(value);
}
