using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>Server-side printing: the <c>meta.k8s.io/v1 Table</c> kubectl asks for, with kube-apiserver's columns.</summary>
internal static class Tables
{
    public static bool Wanted(string? accept) => accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject Build(ResourceInfo resource, IEnumerable<JsonObject> items, string resourceVersion, TimeProvider time)
    {
        var (columns, cells) = Columns(resource, time);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            rows.Add(new JsonObject
            {
                ["cells"] = new JsonArray([.. cells(item).Select(c => (JsonNode?)c)]),
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = item["metadata"]?.DeepClone() },
            });
        }

        return new JsonObject
        {
            ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Name == "Restarts" ? "integer" : "string", ["format"] = c.Name == "Name" ? "name" : string.Empty,
                ["description"] = c.Name, ["priority"] = c.Priority,
            })]),
            ["rows"] = rows,
        };
    }

    private static ((string Name, int Priority)[] Columns, Func<JsonObject, IEnumerable<JsonNode?>> Cells) Columns(ResourceInfo resource, TimeProvider time)
    {
        string Age(JsonObject o) => Human(time.GetUtcNow() - (DateTimeOffset.TryParse(o.Text("metadata.creationTimestamp"), CultureInfo.InvariantCulture, out var created) ? created : time.GetUtcNow()));
        if (resource == ResourceCatalog.Nodes)
        {
            return ([("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0), ("Internal-IP", 1)], o =>
            {
                var ready = o.Condition("Ready") == "True" ? "Ready" : "NotReady";
                if ((bool?)o["spec"]?["unschedulable"] == true)
                {
                    ready += ",SchedulingDisabled";
                }

                var roles = (o["metadata"]?["labels"] as JsonObject ?? []).Select(l => l.Key)
                    .Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal)).Select(k => k["node-role.kubernetes.io/".Length..]).Order(StringComparer.Ordinal).ToList();
                var ip = (o["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(a => (string?)a["type"] == "InternalIP")?["address"]?.GetValue<string>();
                return [o.Name(), ready, roles.Count == 0 ? "<none>" : string.Join(',', roles), Age(o), o.Text("status.nodeInfo.kubeletVersion") ?? string.Empty, ip ?? "<none>"];
            });
        }

        if (resource == ResourceCatalog.Pods)
        {
            return ([("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1)], o =>
            {
                var containers = (o["spec"]?["containers"] as JsonArray)?.Count ?? 0;
                var ready = (o["status"]?["containerStatuses"] as JsonArray ?? []).Count(c => (bool?)c?["ready"] == true);
                var waiting = (o["status"]?["containerStatuses"] as JsonArray ?? []).Select(c => (string?)c?["state"]?["waiting"]?["reason"]).FirstOrDefault(r => r is not null);
                var status = o["metadata"]?["deletionTimestamp"] is not null ? "Terminating" : waiting ?? o.Text("status.phase") ?? "Pending";
                var restarts = (o["status"]?["containerStatuses"] as JsonArray ?? []).Sum(c => (int?)c?["restartCount"] ?? 0);
                return [o.Name(), $"{ready}/{containers}", status, restarts, Age(o), o.Text("status.podIP") ?? "<none>", o.Text("spec.nodeName") ?? "<none>"];
            });
        }

        if (resource == ResourceCatalog.Leases)
        {
            // As kube-apiserver prints leases: who holds it.
            return ([("Name", 0), ("Holder", 0), ("Age", 0)], o => [o.Name(), o.Text("spec.holderIdentity") ?? string.Empty, Age(o)]);
        }

        if (resource == ResourceCatalog.DaemonSets)
        {
            return ([("Name", 0), ("Desired", 0), ("Current", 0), ("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0)], o =>
                [o.Name(), (int?)o["status"]?["desiredNumberScheduled"] ?? 0, (int?)o["status"]?["currentNumberScheduled"] ?? 0, (int?)o["status"]?["numberReady"] ?? 0,
                 (int?)o["status"]?["updatedNumberScheduled"] ?? 0, (int?)o["status"]?["numberAvailable"] ?? 0, Age(o)]);
        }

        if (resource == ResourceCatalog.CronJobs)
        {
            // As kube-apiserver prints cronjobs. In the lab no controller runs them: Active stays 0 and Last Schedule <none>.
            return ([("Name", 0), ("Schedule", 0), ("Timezone", 0), ("Suspend", 0), ("Active", 0), ("Last Schedule", 0), ("Age", 0), ("Containers", 1), ("Images", 1)], o =>
            {
                var containers = (o["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                var last = DateTimeOffset.TryParse(o.Text("status.lastScheduleTime"), CultureInfo.InvariantCulture, out var scheduled) ? Human(time.GetUtcNow() - scheduled) : "<none>";
                return [o.Name(), o.Text("spec.schedule") ?? string.Empty, o.Text("spec.timeZone") ?? "<none>", (bool?)o["spec"]?["suspend"] == true ? "True" : "False",
                    (o["status"]?["active"] as JsonArray)?.Count ?? 0, last, Age(o),
                    string.Join(',', containers.Select(c => (string?)c["name"])), string.Join(',', containers.Select(c => (string?)c["image"]))];
            });
        }

        if (resource == ResourceCatalog.Services)
        {
            return ([("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0)], o =>
            {
                var ingress = (o["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => (string?)i?["ip"]).OfType<string>().ToList();
                var type = o.Text("spec.type") ?? "ClusterIP";
                var external = ingress.Count > 0 ? string.Join(',', ingress) : type == "LoadBalancer" ? "<pending>" : "<none>";
                var ports = (o["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p => $"{p["port"]}/{p["protocol"] ?? "TCP"}");
                return [o.Name(), type, o.Text("spec.clusterIP") ?? "<none>", external, string.Join(',', ports), Age(o)];
            });
        }

        return ([("Name", 0), ("Age", 0)], o => [o.Name(), Age(o)]);
    }

    /// <summary>Kubernetes' short human durations: 45s, 12m, 3h, 5d.</summary>
    public static string Human(TimeSpan age)
    {
        var s = Math.Max(0, (long)age.TotalSeconds);
        return s switch
        {
            < 120 => $"{s}s",
            < 600 => $"{s / 60}m{s % 60}s",
            < 3 * 3600 => $"{s / 60}m",
            < 2 * 86400 => $"{s / 3600}h",
            _ => $"{s / 86400}d",
        };
    }
}
