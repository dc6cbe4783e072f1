using System.Text.Json;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary><c>chaosedge lab status --json</c> on the provisioned lab cluster: what a script reads.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LabStatusCommandTests
{
    [Test]
    public async Task Status_as_json_gives_the_kubeconfig_and_says_the_cluster_is_provisioned_and_healthy()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
        var result = await ProcessRunner.RunAsync("dotnet", [cli, "lab", "status", "--name", ClusterLab.LabName, "--json"], timeout: TimeSpan.FromMinutes(1));
        Assert.That(result.ExitCode, Is.Zero, result.Stderr);

        using var json = JsonDocument.Parse(result.Stdout);
        var cluster = json.RootElement.GetProperty("cluster");
        Assert.Multiple(() =>
        {
            Assert.That(cluster.GetProperty("provisioned").GetBoolean(), Is.True);
            Assert.That(cluster.GetProperty("healthy").GetBoolean(), Is.True, cluster.ToString());
            Assert.That(cluster.GetProperty("kubeconfigPath").GetString(), Is.EqualTo(ClusterLab.Provisioned.KubeconfigPath));
        });

        var text = await ProcessRunner.RunAsync("dotnet", [cli, "lab", "status", "--name", ClusterLab.LabName], timeout: TimeSpan.FromMinutes(1));
        Assert.That(text.Stdout, Does.Contain("cluster         provisioned, healthy").And.Contain($"kubeconfig      {ClusterLab.Provisioned.KubeconfigPath}"));
    }
}
