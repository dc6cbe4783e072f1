using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;
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

    [Test]
    public async Task A_reused_PID_in_a_pods_pid_file_is_neither_adopted_nor_signalled_when_the_pod_goes()
    {
        // After a power cut every PID is free again; the pid file of a pod may then name some other process. The
        // kubelet must start the pod anew and, when the pod is deleted, leave that other process alone.
        using var client = ClusterLab.Client();
        var name = "reuse-" + Guid.NewGuid().ToString("N")[..8];
        var marker = (700_000 + Random.Shared.Next(99_999)).ToString(CultureInfo.InvariantCulture);
        var bystander = (800_000 + Random.Shared.Next(99_999)).ToString(CultureInfo.InvariantCulture);
        var shell = ClusterLab.Shell("edge-2");
        var pod = await client.CreateAsync(ResourcePath.Pods.For("default"), new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = "edge-2", ["hostNetwork"] = true,
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "debian", ["command"] = new JsonArray("sleep", marker) }),
            },
        });
        var pidFile = $"/var/lib/rancher/k3s/agent/pods/{pod.Text("metadata.uid")}/pid";
        try
        {
            await Waiting.Wait.UntilAsync($"Pod '{name}'", "run", async token =>
            {
                var count = (await shell.RunAsync($"pgrep -cx -f 'sleep {marker}'", cancellationToken: token)).Stdout.Trim();
                return (count == "1", $"{count} running");
            }, TimeSpan.FromSeconds(30));

            // The kubelet stops; the pod's process dies; its PID file now names an unrelated process (the bystander).
            await shell.RunCheckedAsync("systemctl stop k3s");
            await shell.RunCheckedAsync($"pkill -x -f 'sleep {marker}'; (setsid sleep {bystander} </dev/null >/dev/null 2>&1 &); sleep 0.3; pgrep -x -f 'sleep {bystander}' > {pidFile}");
            await shell.RunCheckedAsync("systemctl start k3s");
            await Waiting.Wait.UntilAsync($"Pod '{name}'", "be started again by the kubelet", async token =>
            {
                var count = (await shell.RunAsync($"pgrep -cx -f 'sleep {marker}'", cancellationToken: token)).Stdout.Trim();
                return (count == "1", $"{count} running");
            }, TimeSpan.FromSeconds(60));
        }
        finally
        {
            // edge-2's API server just restarted; if it holds the VIP, a pooled connection to it is gone: retry afresh.
            await Waiting.Wait.UntilAsync($"Pod '{name}'", "accept its deletion", async token =>
            {
                using var fresh = ClusterLab.Client();
                try
                {
                    await fresh.DeleteAsync(ResourcePath.Pods.For("default", name), cancellationToken: token);
                    return (true, null);
                }
                catch (KubeApiException e) when (e.IsNotFound)
                {
                    return (true, null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException || (e is KubeApiException api && (int)api.Status >= 500))
                {
                    return (false, e.Message);
                }
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));
        }

        using var after = ClusterLab.Client();
        await Waiting.Wait.UntilAsync($"Pod '{name}'", "be deleted by its kubelet", async token =>
        {
            try
            {
                return (await after.TryGetAsync(ResourcePath.Pods.For("default", name), token) is null, "still listed");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException || (e is KubeApiException api && (int)api.Status >= 500))
            {
                return (false, e.Message);
            }
        }, TimeSpan.FromSeconds(60));
        var survivor = await shell.RunAsync($"pgrep -x -f 'sleep {bystander}'");
        await shell.RunAsync($"pkill -x -f 'sleep {bystander}'");

        Assert.That(survivor.Stdout.Trim(), Is.Not.Empty, "the unrelated process named by the stale pid file was killed");
        await ClusterLab.WaitHealthyAsync();
    }
}
