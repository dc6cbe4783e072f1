using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Runs;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Scenarios;

namespace ChaosEdge.Benchmarks.Measurement;

/// <summary>
/// The Failover suite on the same 3-node virtual lab with each control-plane VIP provider in turn — keepalived (VRRP,
/// advert 1 s), kube-vip with its own timings (5 s / 3 s / 1 s) and kube-vip with client-go's (15 s / 10 s / 2 s) —
/// <c>trials</c> times each, and a table of every VIP takeover and outage beside what its model predicts. The kube-vip
/// shapes run on the lab's K3s installed by the K3s plan (<c>lab up --k3s</c>: kube-vip and MetalLB from the plan's
/// manifests); keepalived on the lab's runtime (the plan's keepalived shape needs HAProxy). The lab has the lab's timings (node grace 8 s, eviction 20 s) and the HA DNS shape, as the built-in lab's session sets them.
/// Run as root: <c>dotnet run -c Release --project tests/ChaosEdge.Benchmarks -- vip-shapes [--trials N] [--out DIR]</c>.
/// </summary>
public static class VipShapeComparison
{
    private sealed record Shape(string Name, VipProvider Provider, KubeVipSettings KubeVip);

    private static readonly Shape[] Shapes =
    [
        new("keepalived", VipProvider.Keepalived, KubeVipSettings.Default),
        new("kube-vip 5/3/1", VipProvider.KubeVip, KubeVipSettings.Default),
        new("kube-vip 15/10/2", VipProvider.KubeVip, KubeVipSettings.Default with { LeaseDuration = TimeSpan.FromSeconds(15), RenewDeadline = TimeSpan.FromSeconds(10), RetryPeriod = TimeSpan.FromSeconds(2) }),
    ];

    private static readonly string[] Scenarios = ["vip-holder-power-off", "vip-holder-nic-down", "vip-holder-kubelet-stop", "non-holder-power-off", "non-holder-nic-down", "non-holder-kubelet-stop"];

    public static async Task RunAsync(int trials, string output)
    {
        Directory.CreateDirectory(output);
        var rows = new List<(string Shape, string Scenario, int Trial, double? VipMs, double? ApiMs, bool EtcdLeaderLost, string Status)>();
        foreach (var shape in Shapes)
        {
            var lab = new VirtualLab("vipcmp");
            await lab.DownAsync();
            try
            {
                Console.WriteLine($"== {shape.Name}: lab up and provision");
                await lab.UpAsync(LabShape.Default(3) with { ControlPlaneVip = shape.Provider, KubeVip = shape.KubeVip, K3sRuntime = shape.Provider == VipProvider.KubeVip });
                var inventory = InventoryLoader.Load(lab.InventoryPath);
                inventory = inventory with { Cluster = ChaosEdge.Runs.LabSession.LabTimings(inventory.Cluster, servers: 3) };
                await File.WriteAllTextAsync(lab.InventoryPath, InventoryWriter.Write(inventory, lab.Directory, [$"vip-shapes comparison: {shape.Name}"]));
                for (var trial = 1; trial <= trials; trial++)
                {
                    var directory = Path.Combine(output, shape.Name.Replace(' ', '-').Replace('/', '-'), trial.ToString(CultureInfo.InvariantCulture));
                    var progress = new Progress<string>(line => File.AppendAllText(Path.Combine(output, "progress.log"), line + "\n"));
                    Console.WriteLine($"   trial {trial}/{trials}: nightly --filter Failover -> {directory}");
                    var outcome = await new NightlyRun(new NightlyOptions { InventoryPath = lab.InventoryPath, Filter = "Failover", OutputDirectory = directory }, new Quiet(), progress).RunAsync();
                    foreach (var scenario in Scenarios)
                    {
                        var path = Path.Combine(directory, "scenarios", scenario, "run.json");
                        if (!File.Exists(path))
                        {
                            rows.Add((shape.Name, scenario, trial, null, null, false, "not run"));
                            continue;
                        }

                        var record = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
                        var figures = (record["figures"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                        double? Figure(string probe) => figures.FirstOrDefault(f => (string?)f["probe"] == probe) is { } f
                            ? scenario.StartsWith("vip-holder", StringComparison.Ordinal) ? (double?)f["takeoverMs"] : (double?)f["longestOutageMs"]
                            : null;
                        var leaderLost = figures.Any(f => (string?)f["probe"] is { } p && p.StartsWith("etcd", StringComparison.Ordinal) && ((int?)f["leaderChanges"] ?? 0) > 0);
                        var verdicts = (record["verdicts"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                        var status = verdicts.All(v => (string?)v["outcome"] is "Pass" or "pass") ? "pass" : "FAIL";
                        rows.Add((shape.Name, scenario, trial, Figure("vip-tcp"), Figure("api-readyz-fresh"), leaderLost, status));
                    }

                    Console.WriteLine($"   exit {outcome.ExitCode}");
                }
            }
            finally
            {
                await lab.DownAsync();
            }
        }

        var table = new StringBuilder();
        table.AppendLine("| scenario | shape | model (VIP) | vip-tcp, each trial | api-readyz-fresh, each trial | etcd leader lost in |");
        table.AppendLine("|---|---|---|---|---|---|");
        foreach (var scenario in Scenarios)
        {
            foreach (var shape in Shapes)
            {
                var mine = rows.Where(r => r.Scenario == scenario && r.Shape == shape.Name).ToList();
                static string Seconds(double? ms) => ms is { } v ? (v / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s" : "—";
                table.Append("| ").Append(scenario).Append(" | ").Append(shape.Name).Append(" | ").Append(Model(shape, scenario)).Append(" | ")
                    .Append(string.Join(", ", mine.Select(r => Seconds(r.VipMs) + (r.Status == "pass" ? string.Empty : " (FAIL)")))).Append(" | ")
                    .Append(string.Join(", ", mine.Select(r => Seconds(r.ApiMs)))).Append(" | ")
                    .Append(string.Join(", ", mine.Where(r => r.EtcdLeaderLost).Select(r => "trial " + r.Trial.ToString(CultureInfo.InvariantCulture)))).AppendLine(" |");
            }
        }

        await File.WriteAllTextAsync(Path.Combine(output, "vip-shapes.md"), table.ToString());
        Console.WriteLine();
        Console.WriteLine("Takeover (vip-holder-*) or longest outage (non-holder-*) of the control-plane VIP:");
        Console.WriteLine(table.ToString());
    }

    /// <summary>What each shape's physics predicts for the VIP, in seconds.</summary>
    private static string Model(Shape shape, string scenario)
    {
        if (shape.Provider == VipProvider.Keepalived)
        {
            return scenario switch
            {
                // RFC 5798: master-down interval 3 x advert + skew, (256 - 90) / 256 s at the second server's priority 90,
                // counted from the last advert heard, which came 0-1 s before the fault.
                "vip-holder-power-off" or "vip-holder-nic-down" => "2.65–3.65 (3 x advert + skew, from the last advert)",
                // The node runtime marks its API server down before it stops it: keepalived gives the VIP up (a
                // priority-0 advert) and the backup takes it after its skew while the old API server still answers.
                "vip-holder-kubelet-stop" => "0 (the VIP leaves before the API server stops)",
                _ => "0 (the VIP does not depend on the API)",
            };
        }

        var lease = shape.KubeVip.LeaseDuration.TotalSeconds;
        var retry = shape.KubeVip.RetryPeriod.TotalSeconds;
        var deadline = shape.KubeVip.RenewDeadline.TotalSeconds;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        return scenario switch
        {
            // client-go: the last renewal up to a retry period before the fault; a candidate sees it within 2.2 retry
            // periods (jitter 1.2) and acquires at its first look once the record is a lease duration old.
            "vip-holder-power-off" or "vip-holder-nic-down" => $"{F(lease - retry)}–{F(lease + (4.4 * retry))} (lease), or etcd's election 5–10 + a look if it led etcd",
            "vip-holder-kubelet-stop" => "the fault's length (kube-vip keeps the lease: issue #1786)",
            // The holder renews through the 'kubernetes' service: a renewal balanced to the dead server hangs for
            // kube-vip's 10 s REST timeout, which no renew deadline of 10 s or less outlasts.
            _ => deadline < 10 ? $"0, or etcd's election 5–10 if it led etcd (> renew deadline {F(deadline)}), or a renewal hung on the dead server (REST timeout 10 ≥ deadline)"
                : $"0 (an election of 5–10 is within the renew deadline {F(deadline)}), or a renewal hung on the dead server (REST timeout 10 ≥ deadline)",
        };
    }

    private sealed class Quiet : IScenarioObserver
    {
        public void PhaseStarted(ScenarioPhase phase, string description)
        {
        }

        public void PhaseEnded(ScenarioPhase phase, Exception? error)
        {
        }

        public void Step(string line)
        {
        }
    }
}
