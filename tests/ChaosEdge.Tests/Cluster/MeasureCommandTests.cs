using System.Text.Json.Nodes;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary><c>chaosedge measure</c> against the lab cluster, as the README runs it.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class MeasureCommandTests
{
    [Test]
    public async Task Measure_prints_the_figures_and_verdicts_and_writes_the_run_record()
    {
        var output = Directory.CreateTempSubdirectory("ce-measure-").FullName;
        try
        {
            var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
            var result = await ProcessRunner.RunAsync("dotnet", [cli, "measure", "--inventory", ClusterLab.Inventory.SourcePath, "--duration", "3s", "--out", output], timeout: TimeSpan.FromMinutes(2));

            Assert.That(result.ExitCode, Is.EqualTo(0).Or.EqualTo(1), result.Stdout + result.Stderr);
            Assert.That(result.Stdout, Does.Contain("vip-tcp").And.Contain("dns-edge-1").And.Contain("SLA '"));
            var record = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "run.json")))!;
            Assert.That((string?)record["schema"], Is.EqualTo("chaosedge.run/1"));
            Assert.That(record["probes"]!.AsArray().Select(p => (string?)p!["name"]),
                Is.SupersetOf(new[] { "vip-tcp", "vip-icmp", "api-readyz-fresh", "api-readyz-long", "service-vip-tcp", "vip-owner", "etcd", "dns-edge-1" }));
            Assert.That(record["verdicts"]!.AsArray(), Is.Not.Empty);
            Assert.That(record["figures"]!.AsArray().Single(f => (string?)f!["probe"] == "vip-tcp")!["samples"]!.GetValue<int>(), Is.GreaterThan(200));
            var left = await ClusterLab.Shell("edge-1").RunAsync("pgrep -f '[c]e-probe-agent.sh dns'; pgrep -f '[i]p -o monitor address'");
            Assert.That(left.Stdout.Trim(), Is.Empty, "no agent or monitor is left on the nodes");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
