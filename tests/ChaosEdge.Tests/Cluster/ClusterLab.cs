using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// One 3-server lab cluster for every test in this namespace, provisioned once over SSH exactly as
/// <c>chaosedge lab up --provision</c> does, in the HA DNS shape (3 replicas, anti-affinity, a PodDisruptionBudget) and with
/// short node-lifecycle timings so the NotReady path is seen in seconds. Tests that break the cluster restore it and
/// wait for the health gate before they end.
/// </summary>
[SetUpFixture]
public sealed class ClusterLab
{
    public const string LabName = "cecl";

    /// <summary>node-monitor-grace-period of this cluster (the kubelet renews every nodeLeaseDuration/4 = 2 s).</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(8);

    private static readonly Dictionary<string, SshNodeShell> ShellsByName = new(StringComparer.Ordinal);
    private static ChaosEdge.Provision.VirtualLab.VirtualLab? lab;

    public static LabInventory Inventory { get; private set; } = null!;

    public static ProvisionResult Provisioned { get; private set; } = null!;

    public static KubeConfig KubeConfig { get; private set; } = null!;

    public static IReadOnlyDictionary<string, SshNodeShell> Shells => ShellsByName;

    public static IPAddress Vip => Inventory.ControlPlane.Vip;

    [OneTimeSetUp]
    public async Task ProvisionAsync()
    {
        RequiresRootAttribute.Ensure();
        lab = new ChaosEdge.Provision.VirtualLab.VirtualLab(LabName);
        await lab.DownAsync();

        // Brought up from a directory under /tmp, which the nodes do not share (as CI runs from a clone in /tmp): the
        // lab's BMC services start there, so a power-on must not make anything on a node depend on it.
        var cwd = Directory.GetCurrentDirectory();
        var elsewhere = Directory.CreateTempSubdirectory("chaosedge-cwd-").FullName;
        Directory.SetCurrentDirectory(elsewhere);
        try
        {
            await lab.UpAsync(3);
        }
        finally
        {
            Directory.SetCurrentDirectory(cwd);
        }

        var loaded = InventoryLoader.Load(lab.InventoryPath);
        Inventory = loaded with
        {
            Cluster = loaded.Cluster with
            {
                NodeMonitorGracePeriod = GracePeriod,
                NodeLeaseDuration = TimeSpan.FromSeconds(8),
                Dns = new DnsSettings(3, AntiAffinity: true, PodDisruptionBudget: true),
            },
        };

        await using (var provisioner = new ClusterProvisioner(Inventory))
        {
            Provisioned = await provisioner.ProvisionAsync(new Progress<string>(line => TestContext.Progress.WriteLine("provision: " + line)));
        }

        KubeConfig = KubeConfig.Load(Provisioned.KubeconfigPath);
        foreach (var node in Inventory.Nodes)
        {
            ShellsByName[node.Name] = new SshNodeShell(node);
        }
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        foreach (var shell in ShellsByName.Values)
        {
            await shell.DisposeAsync();
        }

        ShellsByName.Clear();
        if (lab is not null && Environment.IsPrivilegedProcess)
        {
            await lab.DownAsync();
        }
    }

    public static SshNodeShell Shell(string node) => ShellsByName[node];

    public static KubeClient Client(TimeSpan? requestTimeout = null) => new(KubeConfig, requestTimeout);

    /// <summary>The nodes whose eth0 carries <paramref name="address"/> right now.</summary>
    public static async Task<IReadOnlyList<string>> HoldersOfAsync(IPAddress address)
    {
        var holders = new List<string>();
        foreach (var (name, shell) in ShellsByName)
        {
            var result = await shell.RunAsync("ip -4 -o addr show dev eth0");
            if (result.Stdout.Contains($" {address}/", StringComparison.Ordinal))
            {
                holders.Add(name);
            }
        }

        return holders;
    }

    /// <summary>Waits (up to 2 minutes) for the provisioner's health gate: the test leaves the cluster as it found it.</summary>
    public static async Task WaitHealthyAsync()
    {
        using var client = Client();
        var service = await ChaosEdge.Scenarios.ScenarioRunner.ServiceEndpointAsync(client);
        await new ChaosEdge.Health.HealthGate(Inventory, ShellsByName.ToDictionary(p => p.Key, p => (INodeShell)p.Value, StringComparer.Ordinal), client, TimeProvider.System)
            .WaitHealthyAsync(service.Address, TimeSpan.FromMinutes(2), line => TestContext.Progress.WriteLine("health: " + line), CancellationToken.None);
    }
}
