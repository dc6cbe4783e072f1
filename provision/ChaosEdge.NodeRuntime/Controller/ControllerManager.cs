using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

/// <summary>
/// kube-controller-manager, leader-elected through the Lease <c>kube-system/kube-controller-manager</c> with its default
/// timings (lease 15 s, renew deadline 10 s, retry 2 s). The leader runs node lifecycle, taint eviction, the scheduler,
/// deployments, daemonsets, endpoints, LoadBalancer addresses and the cluster DNS records.
/// </summary>
internal sealed partial class ControllerManager(KubeClient client, RuntimeOptions options, ILoggerFactory loggers, TimeProvider time)
{
    private readonly ILogger logger = loggers.CreateLogger("controller");
    private readonly string identity = $"{options.NodeName}_{Guid.NewGuid()}";
    private readonly Dictionary<string, KubeInformer> informers = [];
    private string? publishedHosts;

    private KubeInformer Nodes => informers["nodes"];
    private KubeInformer Pods => informers["pods"];
    private KubeInformer Services => informers["services"];
    private KubeInformer Endpoints => informers["endpoints"];
    private KubeInformer NodeLeases => informers["leases"];
    private KubeInformer Deployments => informers["deployments"];
    private KubeInformer DaemonSets => informers["daemonsets"];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("controller.informers");
        informers["nodes"] = new KubeInformer(client, ResourcePath.Nodes.For(), log);
        informers["pods"] = new KubeInformer(client, ResourcePath.Pods.For(), log);
        informers["services"] = new KubeInformer(client, ResourcePath.Services.For(), log);
        informers["endpoints"] = new KubeInformer(client, ResourcePath.Endpoints.For(), log);
        informers["leases"] = new KubeInformer(client, ResourcePath.Leases.For("kube-node-lease"), log);
        informers["deployments"] = new KubeInformer(client, ResourcePath.Deployments.For(), log);
        informers["daemonsets"] = new KubeInformer(client, ResourcePath.DaemonSets.For(), log);
        var loops = informers.Values.Select(i => i.RunAsync(cancellationToken: cancellationToken)).ToList();

        var leading = false;
        var lastRenew = time.GetTimestamp();
        var lastMonitor = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var held = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
                if (held)
                {
                    lastRenew = time.GetTimestamp();
                    if (!leading)
                    {
                        logger.LogInformation("'{Identity}' became the controller leader.", identity);
                    }

                    leading = true;
                }
                else if (leading)
                {
                    leading = false;
                    logger.LogWarning("'{Identity}' lost the controller lease to another holder.", identity);
                }
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (leading && time.GetElapsedTime(lastRenew) > options.LeaderElectRenewDeadline)
                {
                    leading = false;
                    logger.LogWarning("'{Identity}' could not renew the controller lease within {Deadline}; stepping down.", identity, options.LeaderElectRenewDeadline);
                }
            }

            if (leading && informers.Values.All(i => i.Synced.IsCompleted))
            {
                try
                {
                    if (time.GetElapsedTime(lastMonitor) >= options.NodeMonitorPeriod)
                    {
                        lastMonitor = time.GetTimestamp();
                        await MonitorNodesAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await EvictAsync(cancellationToken).ConfigureAwait(false);
                    await ReconcileDeploymentsAsync(cancellationToken).ConfigureAwait(false);
                    await ReconcileDaemonSetsAsync(cancellationToken).ConfigureAwait(false);
                    await ScheduleAsync(cancellationToken).ConfigureAwait(false);
                    await ReconcileEndpointsAsync(cancellationToken).ConfigureAwait(false);
                    await AssignLoadBalancersAsync(cancellationToken).ConfigureAwait(false);
                    await PublishDnsRecordsAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    logger.LogWarning("Controller pass failed: {Error}", e.Message);
                }
            }

            try
            {
                await Task.Delay(leading ? TimeSpan.FromMilliseconds(500) : options.LeaderElectRetryPeriod, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var path = ResourcePath.Leases.For("kube-system", "kube-controller-manager");
        var now = Api.ObjectStore.MicroNow(time);
        var lease = await client.TryGetAsync(path, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            await client.CreateAsync(ResourcePath.Leases.For("kube-system"), new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "kube-controller-manager", ["namespace"] = "kube-system" },
                ["spec"] = new JsonObject
                {
                    ["holderIdentity"] = identity, ["leaseDurationSeconds"] = (int)options.LeaderElectLeaseDuration.TotalSeconds,
                    ["acquireTime"] = now, ["renewTime"] = now, ["leaseTransitions"] = 0,
                },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var holder = lease.Text("spec.holderIdentity");
        var renewed = DateTimeOffset.TryParse(lease.Text("spec.renewTime"), System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : DateTimeOffset.MinValue;
        var duration = TimeSpan.FromSeconds((int?)lease["spec"]?["leaseDurationSeconds"] ?? 15);
        if (holder != identity && time.GetUtcNow() - renewed < duration)
        {
            return false;
        }

        var spec = (JsonObject)lease["spec"]!;
        if (holder != identity)
        {
            spec["acquireTime"] = now;
            spec["leaseTransitions"] = ((int?)spec["leaseTransitions"] ?? 0) + 1;
            spec["holderIdentity"] = identity;
        }

        spec["renewTime"] = now;
        spec["leaseDurationSeconds"] = (int)options.LeaderElectLeaseDuration.TotalSeconds;
        try
        {
            // The lease's resourceVersion makes this a compare-and-swap: two candidates cannot both win.
            await client.ReplaceAsync(path, lease, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return false;
        }
    }

    private async Task RecordEventAsync(JsonObject involved, string reason, string message, CancellationToken cancellationToken)
    {
        var ns = involved.Namespace() ?? "default";
        var now = Api.ObjectStore.Now(time);
        await client.CreateAsync(ResourcePath.Events.For(ns), new JsonObject
        {
            ["metadata"] = new JsonObject { ["generateName"] = involved.Name() + ".", ["namespace"] = ns },
            ["involvedObject"] = new JsonObject { ["kind"] = (string?)involved["kind"], ["name"] = involved.Name(), ["namespace"] = involved.Namespace(), ["uid"] = involved.Text("metadata.uid") },
            ["reason"] = reason, ["message"] = message, ["type"] = "Normal", ["firstTimestamp"] = now, ["lastTimestamp"] = now, ["count"] = 1,
            ["source"] = new JsonObject { ["component"] = "controller-manager" },
        }, cancellationToken).ConfigureAwait(false);
    }
}
