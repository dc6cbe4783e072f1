using System.Text.Json.Nodes;
using ChaosEdge.Health;
using ChaosEdge.Kubernetes;
using ChaosEdge.NodeRuntime.Api;
using ChaosEdge.NodeRuntime.Controller;
using ChaosEdge.NodeRuntime.Etcd;
using ChaosEdge.NodeRuntime.Kubelet;
using ChaosEdge.NodeRuntime.Proxy;
using ChaosEdge.NodeRuntime.Tls;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// One node's service, as K3s is one: on a server, etcd member + API server + controller + kubelet + kube-proxy; on an
/// agent, kubelet + kube-proxy. Stopping it (SIGTERM, what <c>systemctl stop k3s</c> sends) stops all of these, etcd
/// included, but leaves the pods running — K3s's unit has <c>KillMode=process</c> for the same reason.
/// </summary>
internal sealed class NodeRuntimeHost(RuntimeOptions options, ILoggerFactory loggers, TimeProvider time)
{
    private readonly ILogger logger = loggers.CreateLogger("k3s");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Uri apiUrl;
        ServerCredentials credentials;
        EtcdMember? member = null;
        Microsoft.AspNetCore.Builder.WebApplication? api = null;
        var background = new List<Task>();
        using var components = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (options.IsServer)
            {
                credentials = await ServerCredentials.PrepareServerAsync(options, time, cancellationToken).ConfigureAwait(false);
                member = options.ExternalDatastore ? null : new EtcdMember(options, credentials, loggers.CreateLogger("etcd"));
                if (member is null)
                {
                    logger.LogInformation("The datastore is the external etcd at {Endpoints}: no etcd member runs here.", string.Join(", ", options.DatastoreEndpoints));
                }
                else if (member.HasData)
                {
                    member.Start($"{options.NodeName}={member.PeerUrl}", newCluster: false);
                }
                else if (options.ClusterInit && options.ServerUrl is null)
                {
                    member.Start($"{options.NodeName}={member.PeerUrl}", newCluster: true);
                }
                else
                {
                    // A new server, or one whose etcd data was wiped (a replaced member): join through 'server'.
                    var join = await ServerCredentials.JoinEtcdAsync(options, cancellationToken).ConfigureAwait(false);
                    member.Start((string)join["initialCluster"]!, newCluster: false);
                }

                using var etcdCa = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(credentials.EtcdCaPem!);
                var etcd = options.ExternalDatastore
                    ? DatastoreBootstrap.Client(options)
                    : new EtcdClient(new Uri("https://127.0.0.1:2379"), System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(etcdCa.RawData), credentials.EtcdClientCertificate!);
                var catalog = new ResourceCatalog();
                var store = new ObjectStore(etcd, catalog, options, time);
                var server = new ApiServer(store, options, credentials, loggers, time) { Join = new JoinService(options, credentials, etcd, loggers.CreateLogger("join")) };
                api = await server.StartAsync(cancellationToken).ConfigureAwait(false);
                WriteApiHealth(ApiServerHealthFile.Live);
                apiUrl = new Uri($"https://127.0.0.1:{options.HttpsPort}");
                WriteKubeconfig(apiUrl, credentials);
                background.Add(SeedAsync(store, components.Token));
                background.Add(WatchDefinitionsAsync(store, components.Token));
            }
            else
            {
                credentials = await ServerCredentials.PrepareAgentAsync(options, cancellationToken).ConfigureAwait(false);
                apiUrl = options.ServerUrl!;
            }

            InCluster.WriteNodeCredentials(options, credentials.ServerCaPem, credentials.AdminToken);
            var client = new KubeClient(new KubeConfig(apiUrl, credentials.ServerCaPem, credentials.AdminToken), TimeSpan.FromSeconds(10));
            var kubelet = new NodeAgent(client, options, loggers.CreateLogger("kubelet"), time);
            background.Add(kubelet.RunAsync(components.Token));
            background.Add(new KubeProxy(client, InterfaceOf(options.NodeIp), loggers.CreateLogger("kube-proxy")).RunAsync(components.Token));
            if (options.IsServer)
            {
                background.Add(new ControllerManager(client, options, loggers, time).RunAsync(components.Token));
                background.Add(new AutoDeploy(client, options, loggers.CreateLogger("deploy"), time).RunAsync(components.Token));
            }

            logger.LogInformation("Node '{Node}' ({Role}) is running; API at {Api}.", options.NodeName, options.IsServer ? "server" : "agent", apiUrl);
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Stopping node '{Node}': pods keep running.", options.NodeName);
        }
        finally
        {
            // First of all: keepalived gives the VIP up while the rest of the node stops.
            if (options.IsServer)
            {
                WriteApiHealth(ApiServerHealthFile.Down);
            }

            await components.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(background.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            if (api is not null)
            {
                // Watches (kube-vip's, MetalLB's, other nodes') never end by themselves: give requests 2 s, then close
                // every connection, as an API server going down does, instead of waiting out Kestrel's 30 s grace.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await api.StopAsync(grace.Token).ConfigureAwait(false);
            }

            if (member is not null)
            {
                await member.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private void WriteApiHealth(string value)
    {
        try
        {
            File.WriteAllText(ApiServerHealthFile.Path, value + "\n");
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not write the API server's health to '{Path}': {Reason}", ApiServerHealthFile.Path, e.Message);
        }
    }

    private void WriteKubeconfig(Uri apiUrl, ServerCredentials credentials)
    {
        new KubeConfig(apiUrl, credentials.ServerCaPem, credentials.AdminToken).Write(options.KubeconfigPath, "default");
        File.SetUnixFileMode(options.KubeconfigPath, options.KubeconfigMode);
    }

    /// <summary>The namespaces and the <c>kubernetes</c> service every cluster has; retried until etcd has a quorum.</summary>
    private async Task SeedAsync(ObjectStore store, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
                {
                    await CreateIfMissingAsync(store, ResourceCatalog.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, cancellationToken).ConfigureAwait(false);
                }

                await CreateIfMissingAsync(store, ResourceCatalog.Services, "default", new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" } },
                    ["spec"] = new JsonObject
                    {
                        ["type"] = "ClusterIP", ["clusterIP"] = ServerCredentials.FirstServiceIp(options.ServiceCidr).ToString(),
                        ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = options.HttpsPort }),
                    },
                }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is EtcdUnavailableException or ApiError)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task CreateIfMissingAsync(ObjectStore store, ResourceInfo resource, string? ns, JsonObject obj, CancellationToken cancellationToken)
    {
        try
        {
            await store.CreateAsync(resource, ns, obj, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiError e) when (e.Code == 409 || (e.Code == 422 && e.Message.Contains("already allocated", StringComparison.Ordinal)))
        {
        }
    }

    /// <summary>Serves the resources that CustomResourceDefinitions define, within about a second of their creation.</summary>
    private static async Task WatchDefinitionsAsync(ObjectStore store, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (definitions, _) = await store.ListAsync(ResourceCatalog.CustomResourceDefinitions, null, Selector.Everything, Selector.Everything, cancellationToken).ConfigureAwait(false);
                store.Catalog.SetDefinitions(definitions);
            }
            catch (EtcdUnavailableException)
            {
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The interface carrying the node IP (K3s's flannel picks it the same way when no --flannel-iface is given).</summary>
    private static string InterfaceOf(System.Net.IPAddress address) =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(i => i.GetIPProperties().UnicastAddresses.Any(a => a.Address.Equals(address)))?.Name
        ?? throw new InvalidOperationException($"No interface of this node carries its node IP {address}; K3s needs one (set --node-ip to an address the node has).");
}
