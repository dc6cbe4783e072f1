using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

internal sealed partial class ControllerManager
{
    /// <summary>
    /// Deployments (without ReplicaSets or rollouts): keeps <c>spec.replicas</c> pods from the template that are not
    /// terminating — so a pod stuck Terminating on a dead node is replaced, as in Kubernetes.
    /// </summary>
    private async Task ReconcileDeploymentsAsync(CancellationToken cancellationToken)
    {
        foreach (var deployment in Deployments.Items)
        {
            var uid = deployment.Text("metadata.uid");
            var owned = Pods.Items.Where(p => p.Namespace() == deployment.Namespace()
                && (p["metadata"]?["ownerReferences"] as JsonArray ?? []).Any(o => (string?)o?["uid"] == uid)).ToList();
            var active = owned.Where(p => p["metadata"]?["deletionTimestamp"] is null).OrderBy(p => p.Text("metadata.creationTimestamp"), StringComparer.Ordinal).ToList();
            var replicas = (int?)deployment["spec"]?["replicas"] ?? 1;
            for (var i = active.Count; i < replicas; i++)
            {
                var created = await client.CreateAsync(ResourcePath.Pods.For(deployment.Namespace()), PodFor(deployment, "Deployment"), cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Deployment '{Namespace}/{Deployment}' created pod '{Pod}'.", deployment.Namespace(), deployment.Name(), created.Name());
            }

            foreach (var extra in active.Skip(replicas))
            {
                await client.DeleteAsync(ResourcePath.Pods.For(extra.Namespace(), extra.Name()), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var ready = active.Take(replicas).Count(p => p.Condition("Ready") == "True");
            var status = deployment["status"];
            var generation = (long?)deployment["metadata"]?["generation"] ?? 1;
            if ((int?)status?["replicas"] != Math.Min(active.Count, replicas) || (int?)status?["readyReplicas"] != ready || (long?)status?["observedGeneration"] != generation)
            {
                await client.PatchAsync(ResourcePath.Deployments.For(deployment.Namespace(), deployment.Name(), "status"), new JsonObject
                {
                    ["status"] = new JsonObject
                    {
                        ["observedGeneration"] = generation, ["replicas"] = Math.Min(active.Count, replicas),
                        ["readyReplicas"] = ready, ["availableReplicas"] = ready, ["updatedReplicas"] = Math.Min(active.Count, replicas),
                    },
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A pod from <paramref name="owner"/>'s template, named after it and owned by it (its controller).</summary>
    private static JsonObject PodFor(JsonObject owner, string kind)
    {
        var pod = owner["spec"]?["template"]?.DeepClone() as JsonObject ?? [];
        var metadata = pod.Metadata();
        metadata["generateName"] = owner.Name() + "-";
        metadata["namespace"] = owner.Namespace();
        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = kind, ["name"] = owner.Name(), ["uid"] = owner.Text("metadata.uid"), ["controller"] = true,
        });
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        return pod;
    }

    /// <summary>
    /// Endpoints: for each service with a selector, the ready pods' addresses (and the others as notReadyAddresses);
    /// for <c>default/kubernetes</c>, the Ready servers' API addresses.
    /// </summary>
    private async Task ReconcileEndpointsAsync(CancellationToken cancellationToken)
    {
        foreach (var service in Services.Items)
        {
            JsonArray subsets;
            if (service.Namespace() == "default" && service.Name() == "kubernetes")
            {
                var servers = Nodes.Items.Where(n => n.Label("node-role.kubernetes.io/control-plane") == "true" && n.Condition("Ready") == "True")
                    .Select(n => (n["status"]?["addresses"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(a => (string?)a["type"] == "InternalIP")?["address"]?.GetValue<string>())
                    .OfType<string>().Order(StringComparer.Ordinal).ToList();
                subsets = servers.Count == 0 ? [] : new JsonArray(new JsonObject
                {
                    ["addresses"] = new JsonArray([.. servers.Select(ip => (JsonNode)new JsonObject { ["ip"] = ip })]),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = options.HttpsPort, ["protocol"] = "TCP" }),
                });
            }
            else if (service["spec"]?["selector"] is JsonObject selector && selector.Count > 0)
            {
                var members = Pods.Items.Where(p => p.Namespace() == service.Namespace() && p["metadata"]?["deletionTimestamp"] is null
                    && p.Text("status.podIP") is not null && selector.All(s => p.Label(s.Key) == (string?)s.Value))
                    .OrderBy(p => p.Name(), StringComparer.Ordinal).ToList();
                JsonNode Address(JsonObject p) => new JsonObject
                {
                    ["ip"] = p.Text("status.podIP"), ["nodeName"] = p.Text("spec.nodeName"),
                    ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = p.Namespace(), ["name"] = p.Name(), ["uid"] = p.Text("metadata.uid") },
                };
                var ready = members.Where(p => p.Condition("Ready") == "True" && NodeReady(p.Text("spec.nodeName"))).ToList();
                var notReady = members.Except(ready).ToList();
                var ports = new JsonArray([.. (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = (string?)p["name"], ["port"] = TargetPort(p), ["protocol"] = (string?)p["protocol"] ?? "TCP",
                })]);
                var subset = new JsonObject { ["ports"] = ports };
                if (ready.Count > 0)
                {
                    subset["addresses"] = new JsonArray([.. ready.Select(Address)]);
                }

                if (notReady.Count > 0)
                {
                    subset["notReadyAddresses"] = new JsonArray([.. notReady.Select(Address)]);
                }

                subsets = members.Count == 0 ? [] : new JsonArray(subset);
            }
            else
            {
                continue;
            }

            var current = Endpoints.Get(service.Namespace(), service.Name());
            if (current is not null && JsonNode.DeepEquals(current["subsets"] ?? new JsonArray(), subsets))
            {
                continue;
            }

            var endpoints = new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject { ["name"] = service.Name(), ["namespace"] = service.Namespace(), ["labels"] = service["metadata"]?["labels"]?.DeepClone() },
                ["subsets"] = subsets,
            };
            if (current is null)
            {
                await client.CreateAsync(ResourcePath.Endpoints.For(service.Namespace()), endpoints, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                endpoints.Metadata()["resourceVersion"] = current.ResourceVersion();
                await client.ReplaceAsync(ResourcePath.Endpoints.For(service.Namespace(), service.Name()), endpoints, cancellationToken).ConfigureAwait(false);
            }

            logger.LogInformation("Endpoints '{Namespace}/{Service}': {Ready}.", service.Namespace(), service.Name(),
                string.Join(',', subsets.OfType<JsonObject>().SelectMany(s => s["addresses"] as JsonArray ?? []).Select(a => (string?)a?["ip"])));
        }
    }

    private static int TargetPort(JsonObject port) =>
        port["targetPort"] is JsonValue value && value.TryGetValue<int>(out var number) ? number : (int?)port["port"] ?? 0;

    /// <summary>MetalLB's controller: a LoadBalancer service gets the address it asks for, or the first free one of the pool.</summary>
    private async Task AssignLoadBalancersAsync(CancellationToken cancellationToken)
    {
        var used = Services.Items.SelectMany(s => (s["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => (string?)i?["ip"])).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var service in Services.Items.Where(s => s.Text("spec.type") == "LoadBalancer" && (s["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Count == 0))
        {
            var requested = service.Text("spec.loadBalancerIP") ?? (string?)service["metadata"]?["annotations"]?["metallb.universe.tf/loadBalancerIPs"];
            var address = !string.IsNullOrEmpty(requested) ? requested : options.ServiceVipPool.Select(a => a.ToString()).FirstOrDefault(a => !used.Contains(a));
            if (address is null)
            {
                continue;
            }

            used.Add(address);
            await client.PatchAsync(ResourcePath.Services.For(service.Namespace(), service.Name(), "status"), new JsonObject
            {
                ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = address, ["ipMode"] = "VIP" }) } },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Service '{Namespace}/{Service}' got load-balancer address {Address}.", service.Namespace(), service.Name(), address);
        }
    }

    /// <summary>
    /// What CoreDNS's kubernetes plugin answers, as a hosts file in ConfigMap <c>kube-system/coredns-hosts</c>: each
    /// service name to its cluster IP (or, headless, to its ready endpoints), and each pod's a-b-c-d.NS.pod name. The
    /// DNS pods mount it; their DNS server reloads it on change.
    /// </summary>
    private async Task PublishDnsRecordsAsync(CancellationToken cancellationToken)
    {
        var domain = options.ClusterDomain;
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var service in Services.Items)
        {
            var name = $"{service.Name()}.{service.Namespace()}.svc.{domain}";
            var ip = service.Text("spec.clusterIP");
            if (ip is not null && IPAddress.TryParse(ip, out _))
            {
                lines.Add($"{ip} {name}");
            }
            else if (ip == "None" && Endpoints.Get(service.Namespace(), service.Name()) is { } endpoints)
            {
                foreach (var address in (endpoints["subsets"] as JsonArray ?? []).SelectMany(s => s?["addresses"] as JsonArray ?? []).Select(a => (string?)a?["ip"]).OfType<string>())
                {
                    lines.Add($"{address} {name}");
                }
            }
        }

        foreach (var pod in Pods.Items.Where(p => p.Text("status.podIP") is not null))
        {
            var ip = pod.Text("status.podIP")!;
            lines.Add($"{ip} {ip.Replace('.', '-')}.{pod.Namespace()}.pod.{domain}");
        }

        var hosts = new StringBuilder("# Cluster DNS records, published by the controller from the API's services and pods.\n");
        foreach (var line in lines)
        {
            hosts.Append(line).Append('\n');
        }

        if (hosts.ToString() == publishedHosts)
        {
            return;
        }

        var path = ResourcePath.ConfigMaps.For("kube-system", "coredns-hosts");
        var current = await client.TryGetAsync(path, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            await client.CreateAsync(ResourcePath.ConfigMaps.For("kube-system"), new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "coredns-hosts", ["namespace"] = "kube-system" }, ["data"] = new JsonObject { ["hosts"] = hosts.ToString() },
            }, cancellationToken).ConfigureAwait(false);
        }
        else if ((string?)current["data"]?["hosts"] != hosts.ToString())
        {
            await client.PatchAsync(path, new JsonObject { ["data"] = new JsonObject { ["hosts"] = hosts.ToString() } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        publishedHosts = hosts.ToString();
    }
}
