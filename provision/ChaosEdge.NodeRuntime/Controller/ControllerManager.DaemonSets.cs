using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

internal sealed partial class ControllerManager
{
    /// <summary>
    /// DaemonSets (without rolling updates): one pod from the template on every node the template's <c>nodeSelector</c>
    /// and required node affinity admit, whatever the node's readiness — bound to its node at creation, as the DaemonSet
    /// controller's pods are. A pod whose node no longer qualifies is deleted; one on a dead node stays (DaemonSet pods
    /// tolerate a node's loss) and runs again when the node does.
    /// </summary>
    private async Task ReconcileDaemonSetsAsync(CancellationToken cancellationToken)
    {
        foreach (var daemonSet in DaemonSets.Items)
        {
            var uid = daemonSet.Text("metadata.uid");
            var template = daemonSet["spec"]?["template"] as JsonObject ?? [];
            var owned = Pods.Items.Where(p => p.Namespace() == daemonSet.Namespace() && p["metadata"]?["deletionTimestamp"] is null
                && (p["metadata"]?["ownerReferences"] as JsonArray ?? []).Any(o => (string?)o?["uid"] == uid)).ToList();
            var eligible = Nodes.Items.Where(n => Admits(template["spec"], n)).Select(n => n.Name()).ToHashSet(StringComparer.Ordinal);
            foreach (var node in eligible.Where(n => !owned.Any(p => p.Text("spec.nodeName") == n)).Order(StringComparer.Ordinal))
            {
                var pod = PodFor(daemonSet, "DaemonSet");
                var spec = (JsonObject)(pod["spec"] ??= new JsonObject());
                spec["nodeName"] = node;

                // The DaemonSet controller's own tolerations: its pods stay on a node that is not ready or unreachable.
                var tolerations = spec["tolerations"] as JsonArray ?? (JsonArray)(spec["tolerations"] = new JsonArray());
                foreach (var (key, effect) in new[] { ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"), ("node.kubernetes.io/unschedulable", "NoSchedule") })
                {
                    tolerations.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = effect });
                }

                var created = await client.CreateAsync(ResourcePath.Pods.For(daemonSet.Namespace()), pod, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("DaemonSet '{Namespace}/{DaemonSet}' created pod '{Pod}' on node '{Node}'.", daemonSet.Namespace(), daemonSet.Name(), created.Name(), node);
            }

            foreach (var stray in owned.Where(p => !eligible.Contains(p.Text("spec.nodeName") ?? string.Empty)))
            {
                await client.DeleteAsync(ResourcePath.Pods.For(stray.Namespace(), stray.Name()), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var current = owned.Count(p => eligible.Contains(p.Text("spec.nodeName") ?? string.Empty));
            var ready = owned.Count(p => eligible.Contains(p.Text("spec.nodeName") ?? string.Empty) && p.Condition("Ready") == "True");
            var status = daemonSet["status"];
            var generation = (long?)daemonSet["metadata"]?["generation"] ?? 1;
            if ((int?)status?["desiredNumberScheduled"] != eligible.Count || (int?)status?["currentNumberScheduled"] != current
                || (int?)status?["numberReady"] != ready || (long?)status?["observedGeneration"] != generation)
            {
                await client.PatchAsync(ResourcePath.DaemonSets.For(daemonSet.Namespace(), daemonSet.Name(), "status"), new JsonObject
                {
                    ["status"] = new JsonObject
                    {
                        ["observedGeneration"] = generation, ["desiredNumberScheduled"] = eligible.Count, ["currentNumberScheduled"] = current,
                        ["updatedNumberScheduled"] = current, ["numberReady"] = ready, ["numberAvailable"] = ready,
                        ["numberUnavailable"] = eligible.Count - ready, ["numberMisscheduled"] = 0,
                    },
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether a pod spec's <c>nodeSelector</c> and required node affinity (In, NotIn, Exists, DoesNotExist; terms ORed) admit the node.</summary>
    internal static bool Admits(JsonNode? podSpec, JsonObject node)
    {
        foreach (var (key, value) in podSpec?["nodeSelector"] as JsonObject ?? [])
        {
            if (node.Label(key) != (string?)value)
            {
                return false;
            }
        }

        var terms = (podSpec?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"] as JsonArray)?.OfType<JsonObject>().ToList();
        if (terms is null || terms.Count == 0)
        {
            return true;
        }

        return terms.Any(term => (term["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().All(expression =>
        {
            var label = node.Label((string?)expression["key"] ?? string.Empty);
            var values = (expression["values"] as JsonArray ?? []).Select(v => (string?)v).ToList();
            return (string?)expression["operator"] switch
            {
                "In" => label is not null && values.Contains(label),
                "NotIn" => label is null || !values.Contains(label),
                "Exists" => label is not null,
                "DoesNotExist" => label is null,
                _ => false,
            };
        }));
    }
}
