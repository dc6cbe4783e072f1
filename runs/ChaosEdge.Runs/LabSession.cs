using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Scenarios;
using ChaosEdge.Ssh;

namespace ChaosEdge.Runs;

/// <summary>
/// The lab a run of scenarios uses. Given an inventory: that lab, provisioned (idempotently) when asked, otherwise
/// used as it is (its kubeconfig next to the inventory) after its health is verified. Without one: the built-in virtual lab, brought up as root and provisioned for the run with short
/// node-lifecycle timings (grace 8 s, lease 8 s, eviction 20 s) so failures play out in seconds, and taken down when
/// the session ends — also when provisioning fails.
/// </summary>
public sealed class LabSession : IAsyncDisposable
{
    private readonly Dictionary<string, INodeShell> shells;
    private readonly ChaosEdge.Provision.VirtualLab.VirtualLab? virtualLab;
    private readonly IProgress<string> progress;

    private LabSession(LabInventory inventory, KubeConfig kubeConfig, ChaosEdge.Provision.VirtualLab.VirtualLab? virtualLab, string output, string? slaPath, IProgress<string> progress)
    {
        this.virtualLab = virtualLab;
        this.progress = progress;
        var shellOptions = new NodeShellOptions { Logger = new ProgressLogger(progress) };
        shells = inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n, shellOptions), StringComparer.Ordinal);
        var sla = slaPath ?? inventory.SlaPath ?? Path.Combine(AppContext.BaseDirectory, "sla", "lab-sla.yaml");
        Environment = new ScenarioEnvironment(inventory, shells, kubeConfig, SlaLoader.Load(sla), new LabCondition(), output)
        {
            AttachClient = virtualLab is null ? null : virtualLab.AttachClientAsync,
        };
    }

    public ScenarioEnvironment Environment { get; }

    /// <summary>Whether this is the built-in virtual lab (so its shape may be changed, and it is torn down).</summary>
    public bool IsVirtual => virtualLab is not null;

    /// <summary>The lab's name as a reader knows it: the virtual lab's name, or the inventory's path.</summary>
    public string Description => virtualLab is not null ? $"built-in virtual lab '{virtualLab.Names.Lab}'" : Environment.Inventory.SourcePath;

    /// <summary>Opens the lab <paramref name="inventoryPath"/> names, or a new virtual lab of <paramref name="servers"/> servers named <paramref name="labName"/>.</summary>
    public static async Task<LabSession> OpenAsync(string? inventoryPath, string labName, int servers, string output, IProgress<string> progress, string? slaPath = null, CancellationToken cancellationToken = default) =>
        await OpenAsync(inventoryPath, labName, servers, output, progress, provision: false, verify: false, slaPath, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens a lab as <see cref="OpenAsync(string?, string, int, string, IProgress{string}, string?, CancellationToken)"/>
    /// does; a lab given by its inventory is provisioned first when <paramref name="provision"/> is set, or its health
    /// verified (nodes, etcd, DNS, service VIP) when <paramref name="verify"/> is. A lab used as it is is reached
    /// through <paramref name="kubeconfigPath"/> (default: <c>kubeconfig</c> beside the inventory) in its
    /// <paramref name="context"/> (default: the current one).
    /// </summary>
    public static async Task<LabSession> OpenAsync(string? inventoryPath, string labName, int servers, string output, IProgress<string> progress, bool provision, bool verify, string? slaPath = null, string? kubeconfigPath = null, string? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (inventoryPath is not null)
        {
            var inventory = InventoryLoader.Load(inventoryPath);
            var kubeconfig = kubeconfigPath ?? Path.Combine(Path.GetDirectoryName(inventory.SourcePath)!, "kubeconfig");
            if (provision)
            {
                kubeconfig = (await Provisioning.ProvisionAsync(inventory, null, progress, cancellationToken).ConfigureAwait(false)).KubeconfigPath;
            }

            var session = new LabSession(inventory, KubeConfig.Load(kubeconfig, context), null, output, slaPath, progress);
            if (verify && !provision)
            {
                try
                {
                    await session.VerifyHealthyAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }

            return session;
        }

        return await OpenVirtualAsync(labName, servers, 0, output, progress, slaPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A new built-in virtual lab named <paramref name="labName"/> of 3 servers and <paramref name="agents"/> agents
    /// (workers), provisioned with the lab's timings, for the scenarios that fault an agent; taken down when disposed.
    /// </summary>
    public static Task<LabSession> OpenWithAgentsAsync(string labName, int agents, string output, IProgress<string> progress, string? slaPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(agents, 1);
        ArgumentNullException.ThrowIfNull(progress);
        return OpenVirtualAsync(labName, 3, agents, output, progress, slaPath, cancellationToken);
    }

    private static async Task<LabSession> OpenVirtualAsync(string labName, int servers, int agents, string output, IProgress<string> progress, string? slaPath, CancellationToken cancellationToken)
    {
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab(labName);
        await lab.DownAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await lab.UpAsync(servers + agents, progress, cancellationToken).ConfigureAwait(false);
            var loaded = InventoryLoader.Load(lab.InventoryPath);
            var settings = LabTimings(loaded.Cluster, servers);
            var inventory = loaded with { Cluster = settings };
            await using var provisioner = new ClusterProvisioner(inventory);
            var provisioned = await provisioner.ProvisionAsync(progress, cancellationToken).ConfigureAwait(false);
            return new LabSession(inventory, KubeConfig.Load(provisioned.KubeconfigPath), lab, output, slaPath, progress);
        }
        catch
        {
            // A lab that could not be provisioned is not left behind.
            await lab.DownAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The lab's health gate, once (up to 2 minutes): nodes Ready, etcd members healthy, DNS answering on every node, service VIP answering.</summary>
    public async Task VerifyHealthyAsync(CancellationToken cancellationToken = default)
    {
        progress.Report("Verifying the lab's health (--no-provision)");
        using var client = new KubeClient(Environment.KubeConfig, TimeSpan.FromSeconds(5));
        var service = await ScenarioRunner.ServiceEndpointAsync(client, cancellationToken).ConfigureAwait(false);
        await new Health.HealthGate(Environment.Inventory, shells, client, Environment.Time)
            .WaitHealthyAsync(service.Address, TimeSpan.FromMinutes(2), progress.Report, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Each node's hardware in a line (cores, memory, CPU model, kernel), read over SSH; a node that cannot be read says so.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> HardwareAsync(CancellationToken cancellationToken = default)
    {
        const string Command = "printf '%s cores, %s, %s, kernel %s' \"$(nproc)\" \"$(awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo)\" \"$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1)\" \"$(uname -r)\"";
        var hardware = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, shell) in shells)
        {
            try
            {
                var result = await shell.RunAsync(Command, cancellationToken: cancellationToken).ConfigureAwait(false);
                hardware[name] = result.Succeeded ? result.Stdout.Trim() : "unknown (" + result.Stderr.Trim() + ")";
            }
            catch (ChaosEdgeException e)
            {
                hardware[name] = "unknown (" + e.Message + ")";
            }
        }

        return hardware;
    }

    /// <summary>
    /// The built-in lab's cluster settings, which the lab's SLA is written for: node grace period and lease 8 s, pod
    /// eviction after 20 s, and the HA DNS shape (3 replicas, or one per server when fewer, spread, with a budget).
    /// </summary>
    public static ClusterSettings LabTimings(ClusterSettings cluster, int servers)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return cluster with
        {
            NodeMonitorGracePeriod = TimeSpan.FromSeconds(8),
            NodeLeaseDuration = TimeSpan.FromSeconds(8),
            PodEvictionTimeout = TimeSpan.FromSeconds(20),
            Dns = new DnsSettings(Math.Min(3, servers), AntiAffinity: true, PodDisruptionBudget: true),
        };
    }

    /// <summary>Re-provisions the virtual lab's cluster in another shape (DNS replicas, say); a real lab is left as it is.</summary>
    public async Task ReshapeAsync(Func<ClusterSettings, ClusterSettings> shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var inventory = Environment.Inventory with { Cluster = shape(Environment.Inventory.Cluster) };
        await using var provisioner = new ClusterProvisioner(inventory);
        await provisioner.ProvisionAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shell in shells.Values)
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }

        if (virtualLab is not null && System.Environment.IsPrivilegedProcess)
        {
            await virtualLab.DownAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }
}
