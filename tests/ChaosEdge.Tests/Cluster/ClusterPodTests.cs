using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>The lab kubelet's pod lifecycle, seen from the node's processes.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterPodTests
{
    [Test]
    public async Task Deleting_a_pod_kills_the_processes_it_left_behind_in_a_session_of_their_own()
    {
        // A container runtime kills a container's cgroup; a process that escaped its pod's session must go too, or a
        // successor finds its ports taken (as a dnsmasq left by a replaced DNS pod once did).
        using var client = ClusterLab.Client();
        var name = "leaver-" + Guid.NewGuid().ToString("N")[..8];
        var marker = (600_000 + Random.Shared.Next(99_999)).ToString(CultureInfo.InvariantCulture);
        var shell = ClusterLab.Shell("edge-2");
        await client.CreateAsync(ResourcePath.Pods.For("default"), new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = "edge-2", ["hostNetwork"] = true,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "main", ["image"] = "debian",
                    ["command"] = new JsonArray("sh", "-c", $"setsid sleep {marker} & exec sleep {marker}"),
                }),
            },
        });
        try
        {
            await Waiting.Wait.UntilAsync($"Pod '{name}'", "run both of its processes", async token =>
            {
                var count = (await shell.RunAsync($"pgrep -cx -f 'sleep {marker}'", cancellationToken: token)).Stdout.Trim();
                return (count == "2", $"{count} running");
            }, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await client.DeleteAsync(ResourcePath.Pods.For("default", name));
        }

        await Waiting.Wait.UntilAsync($"Pod '{name}'", "be deleted by its kubelet", async token =>
            (await client.TryGetAsync(ResourcePath.Pods.For("default", name), token) is null, "still listed"), TimeSpan.FromSeconds(60));
        var left = await shell.RunAsync($"pgrep -a -x -f 'sleep {marker}'");

        Assert.That(left.Stdout.Trim(), Is.Empty, "processes of the deleted pod still running");
    }
}
