using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

internal sealed partial class ControllerManager
{
    private const string Unreachable = "node.kubernetes.io/unreachable";

    /// <summary>
    /// The node lifecycle controller: a node whose lease has not been renewed for node-monitor-grace-period turns
    /// Ready=Unknown, gets the unreachable taints (NoSchedule, NoExecute) and its pods are marked not ready (so they
    /// leave their services' endpoints). A renewed lease lifts the taints.
    /// </summary>
    private async Task MonitorNodesAsync(CancellationToken cancellationToken)
    {
        foreach (var node in Nodes.Items)
        {
            var lease = NodeLeases.Get("kube-node-lease", node.Name());
            var renewed = DateTimeOffset.TryParse(lease?.Text("spec.renewTime"), CultureInfo.InvariantCulture, out var r) ? r
                : DateTimeOffset.TryParse(node.Text("metadata.creationTimestamp"), CultureInfo.InvariantCulture, out var c) ? c : time.GetUtcNow();
            var silent = time.GetUtcNow() - renewed > options.NodeMonitorGracePeriod;
            var tainted = Taints(node).Any(t => (string?)t["key"] == Unreachable);
            if (silent && node.Condition("Ready") != "Unknown")
            {
                var now = Api.ObjectStore.Now(time);
                var conditions = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready", ["status"] = "Unknown", ["reason"] = "NodeStatusUnknown", ["message"] = "Kubelet stopped posting node status.",
                    ["lastHeartbeatTime"] = renewed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), ["lastTransitionTime"] = now,
                });
                await client.PatchAsync(ResourcePath.Nodes.For(name: node.Name(), subresource: "status"), new JsonObject { ["status"] = new JsonObject { ["conditions"] = conditions } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                logger.LogWarning("Node '{Node}' is NotReady: its lease was last renewed {Age:0.0} s ago (grace period {Grace}).", node.Name(), (time.GetUtcNow() - renewed).TotalSeconds, options.NodeMonitorGracePeriod);
                await RecordEventAsync(node, "NodeNotReady", $"Node {node.Name()} status is now: NodeNotReady", cancellationToken).ConfigureAwait(false);
            }

            if (silent && !tainted)
            {
                var now = Api.ObjectStore.Now(time);
                var taints = new JsonArray([.. Taints(node).Select(t => t.DeepClone()),
                    new JsonObject { ["key"] = Unreachable, ["effect"] = "NoSchedule", ["timeAdded"] = now },
                    new JsonObject { ["key"] = Unreachable, ["effect"] = "NoExecute", ["timeAdded"] = now }]);
                await client.PatchAsync(ResourcePath.Nodes.For(name: node.Name()), new JsonObject { ["spec"] = new JsonObject { ["taints"] = taints } }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else if (!silent && tainted)
            {
                var taints = new JsonArray([.. Taints(node).Where(t => (string?)t["key"] != Unreachable).Select(t => t.DeepClone())]);
                await client.PatchAsync(ResourcePath.Nodes.For(name: node.Name()), new JsonObject { ["spec"] = new JsonObject { ["taints"] = taints } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Node '{Node}' renews its lease again; unreachable taints removed.", node.Name());
            }

            if (silent)
            {
                foreach (var pod in Pods.Items.Where(p => p.Text("spec.nodeName") == node.Name() && p.Condition("Ready") == "True"))
                {
                    var conditions = new JsonArray([.. (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
                        .Select(cond => (string?)cond["type"] is "Ready" or "ContainersReady" ? new JsonObject { ["type"] = (string?)cond["type"], ["status"] = "False", ["reason"] = "NodeNotReady" } : cond.DeepClone())]);
                    await client.PatchAsync(ResourcePath.Pods.For(pod.Namespace(), pod.Name(), "status"), new JsonObject { ["status"] = new JsonObject { ["conditions"] = conditions } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Taint-based eviction: a pod on a NoExecute-tainted node is deleted when its toleration runs out.</summary>
    private async Task EvictAsync(CancellationToken cancellationToken)
    {
        foreach (var node in Nodes.Items)
        {
            var taint = Taints(node).FirstOrDefault(t => (string?)t["key"] == Unreachable && (string?)t["effect"] == "NoExecute");
            if (taint is null || !DateTimeOffset.TryParse((string?)taint["timeAdded"], CultureInfo.InvariantCulture, out var added))
            {
                continue;
            }

            foreach (var pod in Pods.Items.Where(p => p.Text("spec.nodeName") == node.Name() && p["metadata"]?["deletionTimestamp"] is null))
            {
                var toleration = (pod["spec"]?["tolerations"] as JsonArray ?? []).OfType<JsonObject>()
                    .FirstOrDefault(t => ((string?)t["key"] == Unreachable || ((string?)t["key"] is null && (string?)t["operator"] == "Exists")) && (string?)t["effect"] is null or "NoExecute");
                if (toleration is not null && toleration["tolerationSeconds"] is null)
                {
                    continue;
                }

                var seconds = (long?)toleration?["tolerationSeconds"] ?? 0;
                if (time.GetUtcNow() - added >= TimeSpan.FromSeconds(seconds))
                {
                    logger.LogWarning("Evicting pod '{Namespace}/{Pod}' from unreachable node '{Node}' after {Seconds} s.", pod.Namespace(), pod.Name(), node.Name(), seconds);
                    await client.DeleteAsync(ResourcePath.Pods.For(pod.Namespace(), pod.Name()), cancellationToken: cancellationToken).ConfigureAwait(false);
                    await RecordEventAsync(pod, "TaintManagerEviction", $"Marking for deletion Pod {pod.Namespace()}/{pod.Name()}", cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static IEnumerable<JsonObject> Taints(JsonObject node) => (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>();

    private bool NodeReady(string? name) => name is not null && Nodes.Get(null, name)?.Condition("Ready") == "True";
}
