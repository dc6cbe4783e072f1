using System.CommandLine;
using System.Globalization;
using System.Net;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Record;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Cli;

/// <summary>
/// <c>chaosedge measure -i lab.yaml --duration 30s --out DIR</c>: runs the default probes against a lab (while someone
/// faults it by hand, say), prints the figures and writes the run record.
/// </summary>
internal static class MeasureCommand
{
    public static Command Create()
    {
        var inventory = InventoryCommands.InventoryOption();
        var duration = new Option<string>("--duration", "-d") { Description = "How long to measure (30s, 5m). Ctrl+C stops early and still reports.", DefaultValueFactory = _ => "30s" };
        var output = new Option<string>("--out", "-o") { Description = "Directory for the run record (run.json).", Required = true };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig whose CA verifies the API server. Default: 'kubeconfig' next to the inventory, when present." };
        var context = new Option<string?>("--context") { Description = "The kubeconfig context to use. Default: its current context." };
        var sla = new Option<string?>("--sla") { Description = "SLA file to judge the figures by. Default: the inventory's 'sla', else the shipped sla/lab-sla.yaml." };
        var scenario = new Option<string>("--scenario") { Description = "Which scenario's thresholds of the SLA file apply.", DefaultValueFactory = _ => SlaDocument.DefaultScenario };
        var command = new Command("measure", "Probe the lab's VIPs and API at millisecond cadence for a while, then print outages, availability, latency and SLA verdicts and write the run record.")
            { inventory, duration, output, kubeconfig, context, sla, scenario };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var text = parse.GetValue(duration)!;
            if (!ValueParsers.TryParseDuration(text, out var length) || length <= TimeSpan.Zero)
            {
                throw new ChaosEdgeException($"--duration '{text}' is not a duration such as 30s, 5m or 1m30s.");
            }

            return await RunAsync(parse.GetValue(inventory)!, parse.GetValue(kubeconfig), parse.GetValue(context), length, parse.GetValue(output)!, parse.GetValue(sla), parse.GetValue(scenario)!, token);
        }));
        return command;
    }

    private static async Task<int> RunAsync(string inventoryPath, string? kubeconfigPath, string? context, TimeSpan duration, string outDirectory, string? slaPath, string scenario, CancellationToken token)
    {
        // Everything is read and validated before anything is contacted.
        var lab = InventoryLoader.Load(inventoryPath);
        var sla = SlaLoader.Load(slaPath ?? lab.SlaPath ?? Path.Combine(AppContext.BaseDirectory, "sla", "lab-sla.yaml"));
        kubeconfigPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventoryPath))!, "kubeconfig");
        var kubeConfig = File.Exists(kubeconfigPath) ? KubeConfig.Load(kubeconfigPath, context) : null;
        var progress = Output.Progress();
        if (kubeConfig is null)
        {
            progress.Report($"No kubeconfig at '{kubeconfigPath}': the API probes are left out.");
        }

        var service = kubeConfig is null ? null : await ServiceEndpointAsync(kubeConfig, token);
        var timeline = new RunTimeline();
        var shellOptions = new NodeShellOptions { Logger = new ProgressLogger(progress) };
        var shells = lab.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n, shellOptions), StringComparer.Ordinal);
        await using var closeShells = new AsyncDisposables(shells.Values);
        var probes = ProbeSet.Default(lab, kubeConfig, service, shells, agentLifetime: duration + TimeSpan.FromMinutes(1));
        progress.Report($"Measuring for {duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s after a 0.5 s warm-up: {string.Join(", ", probes.Select(p => $"{p.Series.Name} ({p.Series.Target}, every {p.Series.Interval.TotalMilliseconds} ms)"))}");
        var runner = new ProbeRunner(timeline) { WarmUp = TimeSpan.FromMilliseconds(500) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        long end;
        try
        {
            var running = runner.RunAsync(probes, duration, stop.Token);
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
                if (!running.IsCompleted)
                {
                    progress.Report(string.Join("  ", timeline.Probes.Select(p => $"{p.Name}: {p.Samples.Count} samples")));
                }
            }

            await running;

            // The window ends when sampling ends; ending the node-side probes afterwards takes a moment and is not measured.
            end = timeline.Clock.GetTimestamp();
        }
        finally
        {
            // Whatever happened (Ctrl+C while the agents start included), nothing is left running on the nodes.
            foreach (var probe in probes)
            {
                await probe.DisposeAsync();
            }
        }

        foreach (var etcd in timeline.Probes.Where(p => p.Kind == ProbeKinds.Etcd))
        {
            LeaderChanges.Mark(timeline, etcd);
        }

        var figures = ProbeAnalyzer.AnalyzeAll(timeline, runner.RecordingStarted, end);
        Print(figures);
        var verdicts = SlaJudge.Judge(sla, scenario, figures);
        PrintVerdicts(sla, scenario, verdicts);
        var record = RunRecord.Build(timeline, figures, new Dictionary<string, string>
        {
            ["inventory"] = Path.GetFullPath(inventoryPath), ["cluster"] = lab.ClusterName, ["sla"] = sla.SourcePath, ["scenario"] = scenario,
        }, verdicts);
        var path = Path.Combine(outDirectory, "run.json");
        await RunRecord.WriteAsync(path, record, CancellationToken.None);
        Console.WriteLine($"  run record      {Path.GetFullPath(path)}");
        return verdicts.Any(v => v.Outcome == SlaOutcome.Fail) ? Output.Failed : Output.Success;
    }

    private static async Task<IPEndPoint?> ServiceEndpointAsync(KubeConfig config, CancellationToken token)
    {
        try
        {
            using var client = new KubeClient(config, TimeSpan.FromSeconds(3));
            return await client.LoadBalancerAsync("default", "edge-app", token);
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static void Print(IReadOnlyList<ProbeFigures> figures)
    {
        Console.WriteLine();
        Console.WriteLine($"  {"probe",-18} {"samples",8} {"failed",7} {"missed",7} {"availability",13} {"outages",8} {"longest",10} {"p50",8} {"p99",8} {"max",8} {"2 owners",9} {"changes",7}  errors");
        foreach (var f in figures)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {f.Probe,-18} {f.Samples,8} {f.Failures,7} {f.MissedSamples,7} {(f.Availability is { } a ? (a * 100).ToString("0.000", CultureInfo.InvariantCulture) + " %" : "-"),13} {f.Outages.Count,8} {Ms(f.LongestOutage),10} {Ms(f.Latency?.P50),8} {Ms(f.Latency?.P99),8} {Ms(f.Latency?.Max),8} {Ms(f.DuplicateOwnerTime),9} {(f.OwnerChanges ?? f.LeaderChanges)?.ToString(CultureInfo.InvariantCulture) ?? "-",7}  {string.Join(", ", f.Errors.Select(e => $"{e.Key} {e.Value}"))}"));
        }

        foreach (var f in figures.Where(f => f.Outages.Count > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"  {f.Probe}: outages (resolution {f.Resolution.TotalMilliseconds} ms)");
            foreach (var o in f.Outages.Take(20))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    at {o.Start.TotalSeconds,8:0.000} s  for {Ms(o.Duration),10}  {o.FailedSamples,6} failed samples, mostly {o.Cause}{(o.Recovered ? string.Empty : " (not recovered)")}"));
            }
        }

        Console.WriteLine();
    }

    private static void PrintVerdicts(SlaDocument sla, string scenario, IReadOnlyList<SlaVerdict> verdicts)
    {
        Console.WriteLine($"  SLA '{sla.SourcePath}', scenario '{scenario}':");
        foreach (var v in verdicts)
        {
            Console.WriteLine($"    {v.Outcome.ToString().ToUpperInvariant(),-13} {v.Threshold.Probe,-18} {v.Threshold.Metric,-14} {v.Measured,14} limit {v.Threshold.Text,-8} margin {v.Margin,-11} {v.Reason}");
        }

        Console.WriteLine();
    }

    private static string Ms(TimeSpan? value) => value is { } v ? v.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private sealed class AsyncDisposables(IEnumerable<IAsyncDisposable> items) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var item in items)
            {
                await item.DisposeAsync();
            }
        }
    }
}
