using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Ssh;
using ChaosEdge.Storage;
using ChaosEdge.Waiting;
using Polly;
using Polly.Retry;

namespace ChaosEdge.Provision.K3s;

public sealed partial class PlanExecutor
{
    /// <summary>The field manager of every server-side apply ChaosEdge makes.</summary>
    public const string FieldManager = "chaosedge";

    private KubeClient? client;

    /// <summary>The API client of the fetched kubeconfig (server: the control-plane VIP).</summary>
    public KubeClient Client => client ?? throw new InvalidOperationException("No kubeconfig has been fetched yet.");

    private async Task FetchKubeconfigAsync(KubeconfigStep step, CancellationToken cancellationToken)
    {
        var path = KubeconfigPath ?? throw new InvalidOperationException("The executor has no kubeconfig path.");
        var text = (await Shell(step.Node!).RunCheckedAsync($"cat {ShellQuote.Quote(step.RemotePath)}", new NodeCommandOptions { ReadsSecret = true }, cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout;
        var config = KubeConfig.Parse(text, $"{step.Node}:{step.RemotePath}").WithServer(step.Server);
        var before = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        config.Write(path, inventory.ClusterName);
        if (before != await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false))
        {
            Changed(null, $"Wrote kubeconfig '{path}' (server {step.Server.AbsoluteUri.TrimEnd('/')}, CA verified, mode 0600).");
        }

        client?.Dispose();
        client = new KubeClient(config);
    }

    private async Task ApplyAsync(ApplyStep step, CancellationToken cancellationToken)
    {
        var yaml = step.Artifact is null
            ? step.Yaml ?? string.Empty
            : await File.ReadAllTextAsync(artifacts?.PathOf(step.Artifact) ?? throw new ProvisionStepException(step.Title, null, "no artifacts directory is open."), cancellationToken).ConfigureAwait(false);
        try
        {
            await ApplyObjectsAsync(Client, ManifestYaml.Parse(yaml, step.Manifest), cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            var source = step.Artifact is null ? $"'{step.Manifest}'" : $"'{artifacts!.PathOf(step.Artifact)}'";
            throw new ProvisionStepException(step.Title, null, $"the API server refused an object of {source}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Server-side applies objects in dependency order (namespaces and CRDs first, each CRD waited for until established),
    /// labelled <c>chaosedge.io/managed-by</c>, each retried for up to 3 minutes while the API, a CRD or a webhook is not ready.
    /// </summary>
    public async Task ApplyObjectsAsync(KubeClient kube, IEnumerable<JsonObject> objects, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kube);
        var retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<KubeApiException>(e => (int)e.Status >= 500 || e.Status == HttpStatusCode.NotFound || e.Status == HttpStatusCode.Conflict)
                    .Handle<ChaosEdgeException>(e => e.Message.Contains("does not serve kind", StringComparison.Ordinal))
                    .Handle<HttpRequestException>().Handle<TaskCanceledException>(),
                MaxRetryAttempts = 60,
                Delay = TimeSpan.FromSeconds(3),
                BackoffType = DelayBackoffType.Constant,
                OnRetry = args =>
                {
                    Report($"  retrying in {args.RetryDelay.TotalSeconds:0} s: {args.Outcome.Exception?.Message}");
                    return default;
                },
            })
            .Build();
        static int Order(JsonObject o) => (string?)o["kind"] switch { "Namespace" => 0, "CustomResourceDefinition" => 1, _ => 2 };
        foreach (var obj in objects.OrderBy(Order))
        {
            var labelled = (JsonObject)obj.DeepClone();
            var labels = labelled.Metadata()["labels"] as JsonObject ?? [];
            labels[K3sManifests.ManagedLabel] = FieldManager;
            labelled.Metadata()["labels"] = labels;
            var what = $"{labelled["kind"]} '{(labelled.Namespace() is { } ns ? ns + "/" : string.Empty)}{labelled.Name()}'";
            var (_, changed) = await retry.ExecuteAsync(async token => await kube.ApplyAsync(labelled, FieldManager, cancellationToken: token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            if (changed)
            {
                Changed(null, $"Applied {what}.");
            }

            if ((string?)labelled["kind"] == "CustomResourceDefinition")
            {
                await Wait.UntilAsync($"CustomResourceDefinition '{labelled.Name()}'", "be established", async token =>
                {
                    var crd = await kube.TryGetAsync(ResourcePath.CustomResourceDefinitions.For(name: labelled.Name()), token).ConfigureAwait(false);
                    return (crd?.Condition("Established") == "True", crd?.Condition("Established") ?? "absent");
                }, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitForClusterAsync(ClusterWaitStep step, CancellationToken cancellationToken)
    {
        try
        {
            switch (step.Condition)
            {
                case ClusterCondition.VipAnswers:
                    await WaitForTcpAsync($"The control-plane VIP {inventory.ControlPlane.Vip}", inventory.ControlPlane.Vip, inventory.ControlPlane.Port, step.Timeout, cancellationToken).ConfigureAwait(false);
                    break;
                case ClusterCondition.WorkloadsAvailable:
                    await Wait.UntilAsync($"Namespace '{step.Namespace}'", "have every Deployment and DaemonSet available", async token =>
                    {
                        var deployments = (await Client.CallAsync($"LIST {ResourcePath.Deployments.For(step.Namespace)}", (c, t) => k8s.AppsV1OperationsExtensions.ListNamespacedDeploymentAsync(c.AppsV1, step.Namespace, cancellationToken: t), token).ConfigureAwait(false)).Items;
                        var daemonSets = (await Client.CallAsync($"LIST {ResourcePath.DaemonSets.For(step.Namespace)}", (c, t) => k8s.AppsV1OperationsExtensions.ListNamespacedDaemonSetAsync(c.AppsV1, step.Namespace, cancellationToken: t), token).ConfigureAwait(false)).Items;
                        var waiting = deployments.Where(d => (d.Status?.AvailableReplicas ?? 0) < (d.Spec?.Replicas ?? 1)).Select(d => d.Metadata.Name)
                            .Concat(daemonSets.Where(d => (d.Status?.NumberAvailable ?? 0) < (d.Status?.DesiredNumberScheduled ?? 1)).Select(d => d.Metadata.Name))
                            .ToList();
                        return (deployments.Count + daemonSets.Count > 0 && waiting.Count == 0, waiting.Count == 0 ? "nothing deployed yet" : "waiting for " + string.Join(", ", waiting));
                    }, step.Timeout, TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
                    break;
                case ClusterCondition.LonghornVolumeHealthy:
                    string? volumeName = null;
                    await Wait.UntilAsync($"PersistentVolumeClaim 'default/{K3sManifests.ProbeVolumeClaim}'", "be bound to a Longhorn volume", async token =>
                    {
                        var claim = await Client.TryCallAsync($"GET {ResourcePath.PersistentVolumeClaims.For("default", K3sManifests.ProbeVolumeClaim)}",
                            (c, t) => k8s.CoreV1OperationsExtensions.ReadNamespacedPersistentVolumeClaimAsync(c.CoreV1, K3sManifests.ProbeVolumeClaim, "default", cancellationToken: t), token).ConfigureAwait(false);
                        volumeName = claim?.Spec?.VolumeName;
                        return (volumeName is not null, "not bound yet");
                    }, step.Timeout, TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
                    await LonghornState.WaitAsync(Client, volumeName!, s => s.State == "attached" && s.Robustness == "healthy", step.Timeout, time, cancellationToken).ConfigureAwait(false);
                    break;
                case ClusterCondition.Healthy:
                    var serviceVip = await WaitForServiceVipAsync(Client, TimeSpan.FromMinutes(2), time, cancellationToken).ConfigureAwait(false);
                    var nodeShells = inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)Shell(n.Name), StringComparer.Ordinal);
                    await new Health.HealthGate(inventory, nodeShells, Client, time).WaitHealthyAsync(serviceVip, step.Timeout, Report, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown cluster condition {step.Condition}.");
            }
        }
        catch (GateTimeoutException e)
        {
            throw new ProvisionStepException(step.Title, null, e.Message, e);
        }
    }

    /// <summary>Waits until the sample service <c>default/edge-app</c> has a load-balancer address, and returns it.</summary>
    public static async Task<IPAddress> WaitForServiceVipAsync(KubeClient client, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        IPAddress? vip = null;
        await Wait.UntilAsync("Service 'default/edge-app'", "get a load-balancer address", async token =>
        {
            vip = (await client.LoadBalancerAsync("default", "edge-app", token).ConfigureAwait(false))?.Address;
            return (vip is not null, vip?.ToString() ?? "pending");
        }, timeout, TimeSpan.FromMilliseconds(500), time, cancellationToken).ConfigureAwait(false);
        return vip!;
    }

    /// <summary>Waits until <paramref name="address"/> accepts TCP connections on <paramref name="port"/>.</summary>
    public async Task WaitForTcpAsync(string resource, IPAddress address, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await Wait.UntilAsync(resource, $"accept TCP connections on port {port}", async token =>
        {
            using var tcp = new TcpClient();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            cts.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await tcp.ConnectAsync(address, port, cts.Token).ConfigureAwait(false);
                return (true, "connected");
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return (false, e.Message);
            }
        }, timeout, TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
    }
}
