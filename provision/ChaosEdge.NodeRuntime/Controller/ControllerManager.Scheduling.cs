using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

internal sealed partial class ControllerManager
{
    /// <summary>
    /// The scheduler: binds pending pods to Ready, schedulable nodes whose taints they tolerate, honouring host ports,
    /// nodeSelector, required pod anti-affinity and topology spread constraints on <c>kubernetes.io/hostname</c>; among
    /// the feasible nodes it picks the one with the fewest matching pods (spreading replicas).
    /// </summary>
    private async Task ScheduleAsync(CancellationToken cancellationToken)
    {
        var bound = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var pod in Pods.Items.Where(p => p.Text("spec.nodeName") is not null && p["metadata"]?["deletionTimestamp"] is null))
        {
            (bound.TryGetValue(pod.Text("spec.nodeName")!, out var list) ? list : bound[pod.Text("spec.nodeName")!] = []).Add(pod);
        }

        foreach (var pod in Pods.Items.Where(p => p.Text("spec.nodeName") is null && p["metadata"]?["deletionTimestamp"] is null).OrderBy(p => p.Text("metadata.creationTimestamp"), StringComparer.Ordinal))
        {
            var candidates = Nodes.Items.Where(n => Feasible(pod, n, bound.GetValueOrDefault(n.Name()) ?? [], bound)).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var labels = pod["metadata"]?["labels"] as JsonObject ?? [];
            var chosen = candidates
                .OrderBy(n => (bound.GetValueOrDefault(n.Name()) ?? []).Count(p => SameLabels(p, labels)))
                .ThenBy(n => (bound.GetValueOrDefault(n.Name()) ?? []).Count)
                .ThenBy(n => n.Name(), StringComparer.Ordinal).First();
            await client.PatchAsync(ResourcePath.Pods.For(pod.Namespace(), pod.Name()), new JsonObject { ["spec"] = new JsonObject { ["nodeName"] = chosen.Name() } }, cancellationToken: cancellationToken).ConfigureAwait(false);
            (bound.TryGetValue(chosen.Name(), out var list) ? list : bound[chosen.Name()] = []).Add(pod);
            logger.LogInformation("Scheduled pod '{Namespace}/{Pod}' to node '{Node}'.", pod.Namespace(), pod.Name(), chosen.Name());
            await RecordEventAsync(pod, "Scheduled", $"Successfully assigned {pod.Namespace()}/{pod.Name()} to {chosen.Name()}", cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Feasible(JsonObject pod, JsonObject node, List<JsonObject> onNode, Dictionary<string, List<JsonObject>> bound)
    {
        if (node.Condition("Ready") != "True" || (bool?)node["spec"]?["unschedulable"] == true)
        {
            return false;
        }

        var tolerations = (pod["spec"]?["tolerations"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var taint in Taints(node).Where(t => (string?)t["effect"] is "NoSchedule" or "NoExecute"))
        {
            if (!tolerations.Any(t => ((string?)t["key"] == (string?)taint["key"] || ((string?)t["key"] is null && (string?)t["operator"] == "Exists")) && ((string?)t["effect"] is null || (string?)t["effect"] == (string?)taint["effect"])))
            {
                return false;
            }
        }

        foreach (var (key, value) in pod["spec"]?["nodeSelector"] as JsonObject ?? [])
        {
            if (node.Label(key) != (string?)value)
            {
                return false;
            }
        }

        var ports = HostPorts(pod).ToHashSet();
        if (ports.Count > 0 && onNode.SelectMany(HostPorts).Any(ports.Contains))
        {
            return false;
        }

        foreach (var term in (pod["spec"]?["affinity"]?["podAntiAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var match = term["labelSelector"]?["matchLabels"] as JsonObject ?? [];
            if (onNode.Any(p => SameLabels(p, match)))
            {
                return false;
            }
        }

        foreach (var constraint in (pod["spec"]?["topologySpreadConstraints"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => (string?)c["whenUnsatisfiable"] != "ScheduleAnyway"))
        {
            var match = constraint["labelSelector"]?["matchLabels"] as JsonObject ?? [];
            var maxSkew = (int?)constraint["maxSkew"] ?? 1;
            var counts = Nodes.Items.Where(n => n.Condition("Ready") == "True").Select(n => (bound.GetValueOrDefault(n.Name()) ?? []).Count(p => SameLabels(p, match))).ToList();
            var here = onNode.Count(p => SameLabels(p, match)) + 1;
            if (counts.Count > 0 && here - counts.Min() > maxSkew)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The node ports a pod takes. The lab has no pod network: every pod listens on its node's addresses, so a container
    /// port is a host port (kube-scheduler's NodePorts filter counts only hostPort and host-network pods).
    /// </summary>
    private static IEnumerable<int> HostPorts(JsonObject pod) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(p => (int?)p["hostPort"] ?? (int?)p["containerPort"]).OfType<int>();

    private static bool SameLabels(JsonObject pod, JsonObject match) =>
        match.Count > 0 && match.All(m => pod.Label(m.Key) == (string?)m.Value);
}
