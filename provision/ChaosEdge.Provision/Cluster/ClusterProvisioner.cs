using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Provision.K3s;
using ChaosEdge.Kubernetes;
using ChaosEdge.Secrets;
using ChaosEdge.Ssh;

namespace ChaosEdge.Provision.Cluster;

/// <summary>
/// Builds the HA cluster over SSH, in K3s's order: preflight, the first server with <c>--cluster-init</c>, the other
/// servers joining one at a time, agents, the control-plane VIP (keepalived), addons (cluster DNS, the sample edge
/// workload behind a LoadBalancer VIP), then a health gate. Every step compares what is on the node with what should be
/// there and changes only the difference, so a second run against a healthy cluster changes nothing.
/// </summary>
public sealed partial class ClusterProvisioner(LabInventory inventory, ProvisionOptions? options = null) : IAsyncDisposable
{
    public const string UnitPath = "/etc/systemd/system/k3s.service";
    public const string ServerCaPath = "/var/lib/rancher/k3s/server/tls/server-ca.crt";
    private const string RuntimeHome = "/usr/local/lib/ce-k3s";

    private readonly ProvisionOptions options = options ?? new ProvisionOptions();
    private PlanExecutor? executor;

    public string KubeconfigPath => options.KubeconfigPath ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "kubeconfig");

    private NodeSpec First => inventory.Servers.First();

    /// <summary>Builds (or checks) the cluster and waits until it is healthy.</summary>
    public async Task<ProvisionResult> ProvisionAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        executor = new PlanExecutor(inventory, options.TimeProvider, progress);
        var started = options.TimeProvider.GetTimestamp();
        if (!inventory.Servers.Any())
        {
            throw new ChaosEdgeException($"Inventory '{inventory.SourcePath}' has no server node; the first server runs cluster-init.");
        }

        await PreflightAsync(cancellationToken).ConfigureAwait(false);
        await InstallRuntimeAsync(cancellationToken).ConfigureAwait(false);
        await WriteAutoDeployManifestsAsync(cancellationToken).ConfigureAwait(false);
        var password = LoadOrCreatePassword();
        await StartServerAsync(First, $"--cluster-init", password, cancellationToken).ConfigureAwait(false);
        var fullToken = (await Shell(First).RunCheckedAsync("cat /var/lib/rancher/k3s/server/token", new NodeCommandOptions { ReadsSecret = true }, cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout.Trim();
        SecretRedactor.Register(fullToken);
        foreach (var server in inventory.Servers.Skip(1))
        {
            await StartServerAsync(server, $"--server https://{First.Address}:6443", fullToken, cancellationToken).ConfigureAwait(false);
        }

        await ConfigureVipAsync(cancellationToken).ConfigureAwait(false);
        foreach (var agent in inventory.Nodes.Where(n => n.Role == NodeRole.Agent))
        {
            await StartAgentAsync(agent, fullToken, cancellationToken).ConfigureAwait(false);
        }

        var config = await WriteKubeconfigAsync(cancellationToken).ConfigureAwait(false);
        using (var client = new KubeClient(config))
        {
            await ApplyMetalLbAsync(client, cancellationToken).ConfigureAwait(false);
            await ApplyAddonsAsync(client, cancellationToken).ConfigureAwait(false);
            await ApplyStorageAsync(client, cancellationToken).ConfigureAwait(false);
            var serviceVip = await WaitForServiceVipAsync(client, cancellationToken).ConfigureAwait(false);
            await ConfigureServiceVipAsync(serviceVip, cancellationToken).ConfigureAwait(false);
            await new ChaosEdge.Health.HealthGate(inventory, inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)Shell(n), StringComparer.Ordinal), client, options.TimeProvider).WaitHealthyAsync(serviceVip, options.HealthTimeout, Report, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = options.TimeProvider.GetElapsedTime(started);
        Report(Executor.Changes.Count == 0
            ? $"The cluster is already as described and healthy; nothing changed ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)."
            : $"Cluster '{inventory.ClusterName}' is provisioned and healthy: {Executor.Changes.Count} changes in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s. Kubeconfig: {KubeconfigPath}");
        return new ProvisionResult([.. Executor.Changes], KubeconfigPath, elapsed);
    }

    /// <summary>
    /// The virtual lab's reset plan, run by the same executor as K3s's: stop and remove the node runtime, keepalived and
    /// their units, and the cluster's data, so the next provisioning starts clean.
    /// </summary>
    public static ProvisionPlan ResetPlan(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var steps = inventory.Nodes.Where(n => n.Role == NodeRole.Agent).Concat(inventory.Servers.Reverse()).Select(node => (PlanStep)new RunStep(node.Name, "Remove the node runtime, keepalived and the cluster's data",
            "for u in k3s keepalived keepalived-services; do systemctl stop $u 2>/dev/null; systemctl disable $u 2>/dev/null; rm -f /etc/systemd/system/$u.service /etc/systemd/system/$u.service.env; done"
            // Pods outlive their kubelet (KillMode=process, as with K3s's containers): end every process the lab kubelet tagged.
            + "; for p in /proc/[0-9]*; do grep -qz '^CHAOSEDGE_POD_NODE=' $p/environ 2>/dev/null && kill -9 ${p#/proc/} 2>/dev/null; done; true"
            + $"; systemctl daemon-reload; rm -rf /var/lib/rancher/k3s /etc/rancher/k3s /etc/keepalived {RuntimeHome} /usr/local/bin/k3s",
            Unless: $"! test -e {UnitPath} -o -e /var/lib/rancher/k3s -o -e /usr/local/bin/k3s")).ToList();
        return new ProvisionPlan($"Reset plan for the virtual lab cluster '{inventory.ClusterName}': everything provisioning installed is removed, data included.", steps);
    }

    /// <summary>The shared plan executor: its shells, file writes, server-side applies and change log are the provisioner's.</summary>
    private PlanExecutor Executor => executor ?? throw new InvalidOperationException("Provisioning has not started.");

    public async ValueTask DisposeAsync()
    {
        if (executor is not null)
        {
            await executor.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal SshNodeShell Shell(NodeSpec node) => Executor.Shell(node.Name);

    private void Report(string line) => Executor.Report(line);

    private void Changed(string what) => Executor.Changed(null, what);

    private string LoadOrCreatePassword()
    {
        var password = ClusterToken.LoadOrCreate(inventory, out var created);
        if (created)
        {
            Changed($"Created the cluster token (kept in '{ClusterToken.PathFor(inventory)}', mode 0600).");
        }

        return password;
    }

    /// <summary>Writes a file on a node only if its content differs (the plan executor's write step); returns whether it changed.</summary>
    private Task<bool> EnsureFileAsync(NodeSpec node, string path, string content, UnixFileMode mode, CancellationToken cancellationToken, bool secret = false) =>
        Executor.WriteAsync(new WriteStep(node.Name, path, path, content, Convert.ToString((int)mode, 8), secret ? "the cluster token" : null), cancellationToken);

    private static string Seconds(TimeSpan value) => ((int)value.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private IPAddress Vip => inventory.ControlPlane.Vip;
}
