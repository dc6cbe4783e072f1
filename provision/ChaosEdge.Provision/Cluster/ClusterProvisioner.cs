using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
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
    private readonly Dictionary<string, OpenSshNodeShell> shells = new(StringComparer.Ordinal);
    private readonly List<string> changes = [];
    private IProgress<string>? progress;

    public string KubeconfigPath => options.KubeconfigPath ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "kubeconfig");

    private string TokenPath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "cluster-token");

    private NodeSpec First => inventory.Servers.First();

    /// <summary>Builds (or checks) the cluster and waits until it is healthy.</summary>
    public async Task<ProvisionResult> ProvisionAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        this.progress = progress;
        var started = options.TimeProvider.GetTimestamp();
        if (!inventory.Servers.Any())
        {
            throw new ChaosEdgeException($"Inventory '{inventory.SourcePath}' has no server node; the first server runs cluster-init.");
        }

        await PreflightAsync(cancellationToken).ConfigureAwait(false);
        await InstallRuntimeAsync(cancellationToken).ConfigureAwait(false);
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
            await ApplyAddonsAsync(client, cancellationToken).ConfigureAwait(false);
            var serviceVip = await WaitForServiceVipAsync(client, cancellationToken).ConfigureAwait(false);
            await ConfigureServiceVipAsync(serviceVip, cancellationToken).ConfigureAwait(false);
            await new ChaosEdge.Health.HealthGate(inventory, shells.ToDictionary(p => p.Key, p => (INodeShell)p.Value, StringComparer.Ordinal), client, options.TimeProvider).WaitHealthyAsync(serviceVip, options.HealthTimeout, Report, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = options.TimeProvider.GetElapsedTime(started);
        Report(changes.Count == 0
            ? $"The cluster is already as described and healthy; nothing changed ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)."
            : $"Cluster '{inventory.ClusterName}' is provisioned and healthy: {changes.Count} changes in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s. Kubeconfig: {KubeconfigPath}");
        return new ProvisionResult([.. changes], KubeconfigPath, elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shell in shells.Values)
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal OpenSshNodeShell Shell(NodeSpec node)
    {
        if (!shells.TryGetValue(node.Name, out var shell))
        {
            shell = new OpenSshNodeShell(node);
            shells[node.Name] = shell;
        }

        return shell;
    }

    private void Report(string line) => progress?.Report(line);

    private void Changed(string what)
    {
        changes.Add(what);
        Report(what);
    }

    private string LoadOrCreatePassword()
    {
        if (File.Exists(TokenPath))
        {
            var existing = File.ReadAllText(TokenPath).Trim();
            SecretRedactor.Register(existing);
            return existing;
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        using (File.Create(TokenPath))
        {
        }

        File.SetUnixFileMode(TokenPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(TokenPath, password);
        SecretRedactor.Register(password);
        Changed($"Created the cluster token (kept in '{TokenPath}', mode 0600).");
        return password;
    }

    /// <summary>Writes a file on a node only if its content differs; returns whether it changed.</summary>
    private async Task<bool> EnsureFileAsync(NodeSpec node, string path, string content, UnixFileMode mode, CancellationToken cancellationToken, bool secret = false)
    {
        var current = await Shell(node).RunAsync($"cat {ShellQuote.Quote(path)} 2>/dev/null", new NodeCommandOptions { ReadsSecret = secret }, cancellationToken).ConfigureAwait(false);
        if (current.Succeeded && current.Stdout == content)
        {
            return false;
        }

        await Shell(node).RunCheckedAsync($"mkdir -p {ShellQuote.Quote(Path.GetDirectoryName(path)!)}", cancellationToken: cancellationToken).ConfigureAwait(false);
        await Shell(node).UploadContentAsync(content, path, mode, cancellationToken).ConfigureAwait(false);
        Changed($"Node '{node.Name}': wrote '{path}'{(secret ? " (secret, mode 0600)" : string.Empty)}.");
        return true;
    }

    private static string Seconds(TimeSpan value) => ((int)value.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private IPAddress Vip => inventory.ControlPlane.Vip;
}
