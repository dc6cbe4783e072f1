using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Kubelet;

/// <summary>
/// The kubelet: registers the Node, renews its Lease in <c>kube-node-lease</c> every quarter of the lease duration
/// (10 s of 40 s, as the kubelet does), keeps the Ready condition True while it runs, and runs the pods bound to it
/// (see <see cref="PodRunner"/>).
/// </summary>
internal sealed class NodeAgent(KubeClient client, RuntimeOptions options, ILogger logger, TimeProvider time)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pods = new PodRunner(client, options, logger, time);
        var podLoop = pods.RunAsync(cancellationToken);
        var renew = TimeSpan.FromSeconds(options.NodeLeaseDurationSeconds / 4.0);
        var nextStatus = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (time.GetElapsedTime(nextStatus) >= TimeSpan.Zero)
                {
                    await EnsureNodeAsync(cancellationToken).ConfigureAwait(false);
                    nextStatus = time.GetTimestamp() + (long)(options.NodeStatusUpdateFrequency.TotalSeconds * time.TimestampFrequency);
                }

                await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Never let the heartbeat die: a silent kubelet turns its node NotReady for no real reason.
                logger.LogWarning("Node heartbeat failed: {Error}", e.Message);
                await Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                continue;
            }

            await Delay(renew, cancellationToken).ConfigureAwait(false);
        }

        await podLoop.ConfigureAwait(false);
    }

    private async Task EnsureNodeAsync(CancellationToken cancellationToken)
    {
        var path = ResourcePath.Nodes.For(name: options.NodeName);
        var now = Api.ObjectStore.Now(time);
        var ready = new JsonObject
        {
            ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["message"] = "kubelet is posting ready status",
            ["lastHeartbeatTime"] = now, ["lastTransitionTime"] = now,
        };
        var existing = await client.TryGetAsync(path, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            var labels = new JsonObject
            {
                ["kubernetes.io/hostname"] = options.NodeName, ["kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = "amd64",
                ["node.kubernetes.io/instance-type"] = "k3s",
            };
            if (options.IsServer)
            {
                labels["node-role.kubernetes.io/control-plane"] = "true";
                labels["node-role.kubernetes.io/etcd"] = "true";
                labels["node-role.kubernetes.io/master"] = "true";
            }

            await client.CreateAsync(ResourcePath.Nodes.For(), new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = options.NodeName, ["labels"] = labels },
                ["spec"] = new JsonObject(),
            }, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Registered node '{Node}'.", options.NodeName);
            existing = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }

        if (existing.Condition("Ready") == "True" && existing["status"]?["addresses"] is not null)
        {
            return;
        }

        await client.PatchAsync(path.Status, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(ready),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = options.NodeIp.ToString() },
                    new JsonObject { ["type"] = "Hostname", ["address"] = options.NodeName }),
                ["nodeInfo"] = new JsonObject
                {
                    ["kubeletVersion"] = Api.ApiServer.KubernetesVersion, ["kubeProxyVersion"] = Api.ApiServer.KubernetesVersion, ["operatingSystem"] = "linux",
                    ["architecture"] = "amd64", ["containerRuntimeVersion"] = "chaosedge-lab://processes", ["osImage"] = "ChaosEdge virtual lab",
                },
                ["capacity"] = new JsonObject { ["cpu"] = "2", ["memory"] = "4Gi", ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = "2", ["memory"] = "4Gi", ["pods"] = "110" },
            },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Node '{Node}' reports Ready.", options.NodeName);
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var path = ResourcePath.Leases.For("kube-node-lease", options.NodeName);
        var spec = new JsonObject
        {
            ["holderIdentity"] = options.NodeName, ["leaseDurationSeconds"] = options.NodeLeaseDurationSeconds, ["renewTime"] = Api.ObjectStore.MicroNow(time),
        };
        try
        {
            await client.PatchAsync(path, new JsonObject { ["spec"] = spec }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            await client.CreateAsync(ResourcePath.Leases.For("kube-node-lease"), new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1", ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = options.NodeName, ["namespace"] = "kube-node-lease" }, ["spec"] = spec.DeepClone(),
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
