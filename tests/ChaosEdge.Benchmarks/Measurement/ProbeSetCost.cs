using System.Globalization;
using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Benchmarks.Measurement;

/// <summary>
/// A measured run of what measuring costs the system under test, on a provisioned lab with the full default probe set
/// (VIP TCP and ICMP, both readyz probes, the service VIP, VIP ownership, etcd, DNS from every node): process starts per
/// second (<c>/proc/stat</c> <c>processes</c>, the whole machine), and cores used separately by the harness (this
/// process and its child processes), the node-side agents (<c>ce-agent</c> processes) and the rest (the lab), first
/// idle and then while measuring; and the largest gap between the harness's own samples per probe.
/// <c>sudo dotnet run -c Release --project tests/ChaosEdge.Benchmarks -- probe-cost --inventory /var/lib/chaosedge/labs/default/lab.yaml [--seconds 30]</c>
/// </summary>
public static class ProbeSetCost
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, as /proc reports CPU times on Linux.

    public static async Task RunAsync(string inventoryPath, int seconds)
    {
        var lab = InventoryLoader.Load(inventoryPath);
        var kubeconfigPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventoryPath))!, "kubeconfig");
        var kubeConfig = KubeConfig.Load(kubeconfigPath);
        var window = TimeSpan.FromSeconds(seconds);

        Console.WriteLine($"Idle lab, no probes, {seconds} s ...");
        Report("idle (no probes)", await MeasureAsync(() => Task.Delay(window)));

        var shells = lab.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n), StringComparer.Ordinal);
        var service = await ServiceAsync(kubeConfig);
        var probes = ProbeSet.Default(lab, kubeConfig, service, shells, agentLifetime: window + TimeSpan.FromMinutes(2));
        var timeline = new RunTimeline();
        var runner = new ProbeRunner(timeline) { WarmUp = TimeSpan.FromSeconds(5) };
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(probes, cancellationToken: stop.Token);
        try
        {
            // The agents are placed and the clocks calibrated first; the window starts once every probe samples.
            while (runner.RecordingStarted == 0 || timeline.Clock.GetTimestamp() < runner.RecordingStarted)
            {
                await Task.Delay(100);
                if (running.IsCompleted)
                {
                    await running;
                }
            }

            Console.WriteLine($"Measuring with {probes.Count} probes ({string.Join(", ", probes.Select(p => p.Series.Name))}), {seconds} s ...");
            var start = timeline.Clock.GetTimestamp();
            var cost = await MeasureAsync(() => Task.Delay(window));
            var end = timeline.Clock.GetTimestamp();
            Report("measuring (full default probe set)", cost);
            await stop.CancelAsync();
            await running;
            var figures = ProbeAnalyzer.AnalyzeAll(timeline, start, end);
            Console.WriteLine();
            Console.WriteLine($"  {"probe",-18} {"cadence",8} {"samples",8} {"missed",7} {"not sent",9} {"largest gap",12}");
            foreach (var f in figures)
            {
                var series = timeline.Probes.Single(p => p.Name == f.Probe);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {f.Probe,-18} {series.Interval.TotalMilliseconds,6:0} ms {f.Samples,8} {f.MissedSamples,7} {series.TicksNotSent,9} {f.LargestGap.TotalMilliseconds,9:0.0} ms"));
            }
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var probe in probes)
            {
                await probe.DisposeAsync();
            }

            foreach (var shell in shells.Values)
            {
                await shell.DisposeAsync();
            }
        }
    }

    private static async Task<Cost> MeasureAsync(Func<Task> during)
    {
        var before = Read();
        var started = TimeProvider.System.GetTimestamp();
        await during();
        var after = Read();
        var wall = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        var total = (after.BusyTicks - before.BusyTicks) / TicksPerSecond / wall;
        var harness = (after.HarnessTicks - before.HarnessTicks) / TicksPerSecond / wall;
        var agents = (after.AgentTicks - before.AgentTicks) / TicksPerSecond / wall;
        return new Cost((after.Processes - before.Processes) / wall, total, harness, agents, Math.Max(0, total - harness - agents));
    }

    private static void Report(string name, Cost cost) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {name}: {cost.ProcessStartsPerSecond:0.0} process starts/s; cores busy {cost.Total:0.00} = harness {cost.Harness:0.00} + agents {cost.Agents:0.00} + lab and the rest {cost.Rest:0.00}"));

    /// <summary>Machine-wide busy time and process count, and the CPU time of the harness (with its children) and of every agent.</summary>
    private static Snapshot Read()
    {
        long busy = 0, processes = 0;
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
                busy = long.Parse(f[1], CultureInfo.InvariantCulture) + long.Parse(f[2], CultureInfo.InvariantCulture) + long.Parse(f[3], CultureInfo.InvariantCulture)
                    + long.Parse(f[6], CultureInfo.InvariantCulture) + long.Parse(f[7], CultureInfo.InvariantCulture) + long.Parse(f[8], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("processes ", StringComparison.Ordinal))
            {
                processes = long.Parse(line.AsSpan(10), CultureInfo.InvariantCulture);
            }
        }

        var self = Environment.ProcessId;
        long harness = 0, agents = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || Stat(pid) is not { } stat)
            {
                continue;
            }

            if (pid == self)
            {
                // Children that ended and were waited for are in cutime/cstime.
                harness += stat.Ticks + stat.ChildTicks;
            }
            else if (stat.Parent == self)
            {
                harness += stat.Ticks;
            }
            else if (stat.Name.StartsWith("ce-agent", StringComparison.Ordinal))
            {
                agents += stat.Ticks;
            }
        }

        return new Snapshot(busy, processes, harness, agents);
    }

    private static (string Name, int Parent, long Ticks, long ChildTicks)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            var f = text[(close + 2)..].Split(' ');
            // After "(comm) ": state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from the state field at 0.
            return (text[(open + 1)..close], int.Parse(f[1], CultureInfo.InvariantCulture),
                long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture),
                long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<IPEndPoint?> ServiceAsync(KubeConfig config)
    {
        using var client = new KubeClient(config, TimeSpan.FromSeconds(3));
        var service = await client.TryGetAsync(ResourcePath.Services.For("default", "edge-app"));
        var ip = (string?)service?["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"];
        return ip is null ? null : new IPEndPoint(IPAddress.Parse(ip), (int?)service?["spec"]?["ports"]?[0]?["port"] ?? 80);
    }

    private sealed record Snapshot(long BusyTicks, long Processes, long HarnessTicks, long AgentTicks);

    private sealed record Cost(double ProcessStartsPerSecond, double Total, double Harness, double Agents, double Rest);
}
