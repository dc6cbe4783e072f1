using System.Net;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Provision.Cluster;

public sealed partial class ClusterProvisioner
{
    /// <summary>Cluster DNS in the inventory's shape, and the sample edge workload behind a LoadBalancer service.</summary>
    private async Task ApplyAddonsAsync(KubeClient client, CancellationToken cancellationToken)
    {
        Report("Addons: cluster DNS, the sample edge workload and its LoadBalancer service");
        var dns = inventory.Cluster.Dns;
        var dnsLabels = new JsonObject { ["k8s-app"] = "kube-dns" };
        var dnsPod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = dnsLabels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["hostNetwork"] = true,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "coredns", ["image"] = "debian/dnsmasq",
                    ["command"] = new JsonArray("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--hostsdir=/etc/coredns", "--listen-address=$(POD_IP)",
                        "--bind-interfaces", "--local=/cluster.local/", "--pid-file=", "--user=root", "--cache-size=0"),
                    ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 53, ["protocol"] = "UDP", ["name"] = "dns" }, new JsonObject { ["containerPort"] = 53, ["protocol"] = "TCP", ["name"] = "dns-tcp" }),
                    ["readinessProbe"] = new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = 53 }, ["periodSeconds"] = 2 },
                    ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "hosts", ["mountPath"] = "/etc/coredns" }),
                }),
                ["volumes"] = new JsonArray(new JsonObject { ["name"] = "hosts", ["configMap"] = new JsonObject { ["name"] = "coredns-hosts" } }),
            },
        };
        if (dns.AntiAffinity)
        {
            dnsPod["spec"]!["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject
                {
                    ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
                    {
                        ["labelSelector"] = new JsonObject { ["matchLabels"] = dnsLabels.DeepClone() }, ["topologyKey"] = "kubernetes.io/hostname",
                    }),
                },
            };
            dnsPod["spec"]!["topologySpreadConstraints"] = new JsonArray(new JsonObject
            {
                ["maxSkew"] = 1, ["topologyKey"] = "kubernetes.io/hostname", ["whenUnsatisfiable"] = "DoNotSchedule",
                ["labelSelector"] = new JsonObject { ["matchLabels"] = dnsLabels.DeepClone() },
            });
        }

        await EnsureObjectAsync(client, ResourcePath.Deployments, "kube-system", Deployment("coredns", dns.Replicas, dnsLabels, dnsPod), cancellationToken).ConfigureAwait(false);
        await EnsureObjectAsync(client, ResourcePath.Services, "kube-system", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kube-dns", ["labels"] = dnsLabels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["selector"] = dnsLabels.DeepClone(), ["clusterIP"] = inventory.Cluster.DnsServiceIp.ToString(),
                ["ports"] = new JsonArray(
                    new JsonObject { ["name"] = "dns", ["port"] = 53, ["protocol"] = "UDP", ["targetPort"] = 53 },
                    new JsonObject { ["name"] = "dns-tcp", ["port"] = 53, ["protocol"] = "TCP", ["targetPort"] = 53 }),
            },
        }, cancellationToken).ConfigureAwait(false);
        if (dns.PodDisruptionBudget)
        {
            await EnsureObjectAsync(client, ResourcePath.PodDisruptionBudgets, "kube-system", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "coredns" },
                ["spec"] = new JsonObject { ["maxUnavailable"] = 1, ["selector"] = new JsonObject { ["matchLabels"] = dnsLabels.DeepClone() } },
            }, cancellationToken).ConfigureAwait(false);
        }

        var appLabels = new JsonObject { ["app"] = "edge-app" };
        await EnsureObjectAsync(client, ResourcePath.Deployments, "default", Deployment("edge-app", 2, appLabels, new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = appLabels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["hostNetwork"] = true,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "edge-app", ["image"] = "chaosedge/edge-app",
                    ["command"] = new JsonArray("/usr/local/bin/k3s", "edge-app", "--listen", "$(POD_IP):1880"),
                    ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 1880, ["protocol"] = "TCP", ["name"] = "http" }),
                    ["readinessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["port"] = 1880, ["path"] = "/" }, ["periodSeconds"] = 2 },
                }),
                ["topologySpreadConstraints"] = new JsonArray(new JsonObject
                {
                    ["maxSkew"] = 1, ["topologyKey"] = "kubernetes.io/hostname", ["whenUnsatisfiable"] = "ScheduleAnyway",
                    ["labelSelector"] = new JsonObject { ["matchLabels"] = appLabels.DeepClone() },
                }),
            },
        }), cancellationToken).ConfigureAwait(false);
        await EnsureObjectAsync(client, ResourcePath.Services, "default", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "edge-app", ["labels"] = appLabels.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["type"] = "LoadBalancer", ["selector"] = appLabels.DeepClone(),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["protocol"] = "TCP", ["targetPort"] = 1880 }),
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject Deployment(string name, int replicas, JsonObject labels, JsonObject template) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels.DeepClone() },
        ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() }, ["template"] = template },
    };

    /// <summary>Server-side applies the object through the plan executor (labelled, retried); unchanged objects stay as they are.</summary>
    private Task EnsureObjectAsync(KubeClient client, ResourcePath resource, string ns, JsonObject desired, CancellationToken cancellationToken)
    {
        desired["apiVersion"] = resource.ApiVersion;
        desired["kind"] = resource.Plural switch
        {
            "deployments" => "Deployment",
            "services" => "Service",
            "poddisruptionbudgets" => "PodDisruptionBudget",
            var other => throw new InvalidOperationException($"No kind known for '{other}'."),
        };
        desired.Metadata()["namespace"] = ns;
        return Executor.ApplyObjectsAsync(client, [desired], cancellationToken);
    }

    private Task<IPAddress> WaitForServiceVipAsync(KubeClient client, CancellationToken cancellationToken) =>
        PlanExecutor.WaitForServiceVipAsync(client, TimeSpan.FromSeconds(60), options.TimeProvider, cancellationToken);
}
