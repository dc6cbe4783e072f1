using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ChaosEdge.NodeRuntime.Api;

internal sealed partial class ObjectStore
{
    /// <summary>What kube-apiserver's admission and defaulting do on create, for the resources the lab uses.</summary>
    private async Task AdmitAsync(ResourceInfo resource, JsonObject obj, CancellationToken cancellationToken)
    {
        // The lab's own admission: a workload whose containers the lab's kubelet cannot run is refused at once, naming
        // them, instead of being stored and never becoming ready. Jobs and CronJobs are not checked: the lab stores them
        // but never runs them (it has no Job controller), so what their containers run is no concern of its kubelet.
        if ((resource == ResourceCatalog.Pods || resource == ResourceCatalog.Deployments || resource == ResourceCatalog.DaemonSets)
            && ChaosEdge.Kubernetes.LabImages.Problems([obj], null) is { Count: > 0 } problems)
        {
            throw new ApiError(422, "Invalid", "the virtual lab cannot run this workload: " + string.Join(" ", problems));
        }

        if (resource == ResourceCatalog.Pods)
        {
            var status = obj["status"] as JsonObject ?? (JsonObject)(obj["status"] = new JsonObject());
            status["phase"] ??= "Pending";
            var spec = obj["spec"] as JsonObject ?? (JsonObject)(obj["spec"] = new JsonObject());
            var tolerations = spec["tolerations"] as JsonArray ?? (JsonArray)(spec["tolerations"] = new JsonArray());

            // DefaultTolerationSeconds: pods ride out a NotReady or unreachable node for 300 s before eviction.
            foreach (var (key, seconds) in new[] { ("node.kubernetes.io/not-ready", options.DefaultNotReadyTolerationSeconds), ("node.kubernetes.io/unreachable", options.DefaultUnreachableTolerationSeconds) })
            {
                if (!tolerations.OfType<JsonObject>().Any(t => (string?)t["key"] == key && (string?)t["effect"] is null or "NoExecute"))
                {
                    tolerations.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = seconds });
                }
            }
        }
        else if (resource == ResourceCatalog.Services)
        {
            var spec = obj["spec"] as JsonObject ?? (JsonObject)(obj["spec"] = new JsonObject());
            spec["type"] ??= "ClusterIP";
            var requested = (string?)spec["clusterIP"];
            if ((string?)spec["type"] != "ExternalName" && requested != "None")
            {
                var ip = await AllocateClusterIpAsync(string.IsNullOrEmpty(requested) ? null : requested, cancellationToken).ConfigureAwait(false);
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
            }
        }
        else if (resource == ResourceCatalog.Namespaces)
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (resource == ResourceCatalog.CustomResourceDefinitions)
        {
            // Served from the next catalog refresh (within a second); clients wait for Established, as with Kubernetes.
            obj["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True" },
                    new JsonObject { ["type"] = "Established", ["status"] = "True" }),
            };
        }

    }

    private async Task<string> AllocateClusterIpAsync(string? requested, CancellationToken cancellationToken)
    {
        if (requested is not null)
        {
            if (!IPAddress.TryParse(requested, out var address) || !options.ServiceCidr.Contains(address))
            {
                throw new ApiError(422, "Invalid", $"spec.clusterIP: Invalid value: \"{requested}\": provided IP is not in the valid range. The range of valid IPs is {options.ServiceCidr}");
            }

            if (await etcd.PutIfAsync(RangesPrefix + requested, Encoding.UTF8.GetBytes("1"), 0, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new ApiError(422, "Invalid", $"spec.clusterIP: Invalid value: \"{requested}\": provided IP is already allocated");
            }

            return requested;
        }

        // .1 is the API's own service, .10 the cluster DNS; dynamic allocation starts above them.
        var bytes = options.ServiceCidr.BaseAddress.GetAddressBytes();
        var size = 1 << (32 - options.ServiceCidr.PrefixLength);
        var basis = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        for (var offset = 11; offset < size - 1; offset++)
        {
            var value = basis + (uint)offset;
            var candidate = new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
            if (await etcd.PutIfAsync(RangesPrefix + candidate, Encoding.UTF8.GetBytes("1"), 0, cancellationToken).ConfigureAwait(false) is not null)
            {
                return candidate;
            }
        }

        throw new ApiError(500, "InternalError", $"no free cluster IP in {options.ServiceCidr}");
    }
}
