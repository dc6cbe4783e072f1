using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Ssh;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// A lab the scenarios run against. With an inventory named by the <c>CHAOSEDGE_INVENTORY</c> environment variable
/// or the <c>inventory</c> runsettings parameter, that lab (provisioned already; its kubeconfig next to the
/// inventory). Without one, the built-in virtual lab: brought up as root and provisioned once for the whole run, with
/// short node-lifecycle timings (grace 8 s, lease 8 s, eviction 20 s) so failures play out in seconds, torn down at the end.
/// </summary>
public sealed class ScenarioLab : IAsyncDisposable
{
    private readonly Dictionary<string, INodeShell> shells;
    private readonly Provision.VirtualLab.VirtualLab? virtualLab;

    private ScenarioLab(LabInventory inventory, KubeConfig kubeConfig, Provision.VirtualLab.VirtualLab? virtualLab, string output)
    {
        this.virtualLab = virtualLab;
        shells = inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new OpenSshNodeShell(n), StringComparer.Ordinal);
        var slaPath = inventory.SlaPath ?? Path.Combine(AppContext.BaseDirectory, "sla", "lab-sla.yaml");
        Environment = new ScenarioEnvironment(inventory, shells, kubeConfig, SlaLoader.Load(slaPath), new LabCondition(), output);
    }

    public ScenarioEnvironment Environment { get; }

    /// <summary>Whether this is the built-in virtual lab (so its shape may be changed, and it is torn down).</summary>
    public bool IsVirtual => virtualLab is not null;

    /// <summary>The inventory named by the environment or runsettings, if any.</summary>
    public static string? ConfiguredInventory =>
        System.Environment.GetEnvironmentVariable("CHAOSEDGE_INVENTORY") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : TestContext.Parameters.Get("inventory") is { Length: > 0 } fromRunSettings ? fromRunSettings : null;

    /// <summary>The configured lab, or a new virtual lab of <paramref name="servers"/> servers named <paramref name="labName"/>.</summary>
    public static async Task<ScenarioLab> OpenAsync(string labName, int servers, string output, Func<ClusterSettings, ClusterSettings>? shape = null)
    {
        if (ConfiguredInventory is { } path)
        {
            var inventory = InventoryLoader.Load(path);
            return new ScenarioLab(inventory, KubeConfig.Load(Path.Combine(Path.GetDirectoryName(inventory.SourcePath)!, "kubeconfig")), null, output);
        }

        RequiresRoot.Ensure();
        var lab = new Provision.VirtualLab.VirtualLab(labName);
        await lab.DownAsync();
        await lab.UpAsync(servers, new Progress<string>(line => TestContext.Progress.WriteLine($"lab {labName}: {line}")));
        var settings = ClusterSettings.Default with
        {
            NodeMonitorGracePeriod = TimeSpan.FromSeconds(8),
            NodeLeaseDuration = TimeSpan.FromSeconds(8),
            PodEvictionTimeout = TimeSpan.FromSeconds(20),
            Dns = new DnsSettings(Math.Min(3, servers), AntiAffinity: true, PodDisruptionBudget: true),
        };
        var labInventory = InventoryLoader.Load(lab.InventoryPath) with { Cluster = shape?.Invoke(settings) ?? settings };
        ProvisionResult provisioned;
        try
        {
            await using var provisioner = new ClusterProvisioner(labInventory);
            provisioned = await provisioner.ProvisionAsync(new Progress<string>(line => TestContext.Progress.WriteLine($"provision {labName}: {line}")));
        }
        catch
        {
            // A lab that could not be provisioned is not left behind.
            await lab.DownAsync();
            throw;
        }

        return new ScenarioLab(labInventory, KubeConfig.Load(provisioned.KubeconfigPath), lab, output);
    }

    /// <summary>Re-provisions the virtual lab's cluster in another shape (DNS replicas, say); a real lab is left as it is.</summary>
    public async Task ReshapeAsync(Func<ClusterSettings, ClusterSettings> shape)
    {
        var inventory = Environment.Inventory with { Cluster = shape(Environment.Inventory.Cluster) };
        await using var provisioner = new ClusterProvisioner(inventory);
        await provisioner.ProvisionAsync(new Progress<string>(line => TestContext.Progress.WriteLine($"reshape: {line}")));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shell in shells.Values)
        {
            await shell.DisposeAsync();
        }

        if (virtualLab is not null && System.Environment.IsPrivilegedProcess)
        {
            await virtualLab.DownAsync();
        }
    }
}
