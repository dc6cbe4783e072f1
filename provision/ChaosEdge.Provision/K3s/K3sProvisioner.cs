using System.Globalization;
using ChaosEdge.Inventory;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Secrets;

namespace ChaosEdge.Provision.K3s;

/// <summary>
/// Builds a real K3s HA cluster from the inventory (<c>cluster.runtime: k3s</c>): verifies the artifacts against their
/// checksums, then runs the <see cref="K3sPlanner"/>'s plan with the <see cref="PlanExecutor"/>. Idempotent.
/// </summary>
public sealed class K3sProvisioner(LabInventory inventory, ProvisionOptions? options = null)
{
    private readonly ProvisionOptions options = options ?? new ProvisionOptions();

    public string KubeconfigPath => options.KubeconfigPath ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "kubeconfig");

    /// <summary>Where the token comes from, as the plan shows it.</summary>
    public string TokenSource => inventory.K3s?.Token is { } reference ? reference.ToString() : $"file:{ClusterToken.PathFor(inventory)} (generated once, mode 0600)";

    /// <summary>The plan, for review; nothing is contacted.</summary>
    public ProvisionPlan Plan() => new K3sPlanner(inventory, ArtifactSet.Open(inventory)).Provision(TokenSource);

    /// <summary>The reset plan, for review; nothing is contacted.</summary>
    public ProvisionPlan ResetPlan() => new K3sPlanner(inventory, ArtifactSet.Open(inventory)).Reset();

    public async Task<ProvisionResult> ProvisionAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = options.TimeProvider.GetTimestamp();
        var artifacts = ArtifactSet.Open(inventory);
        var problems = await artifacts.VerifyAsync(progress, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            throw new ProvisionStepException("artifacts", null, $"the artifacts directory is not ready; nothing was touched:\n  {string.Join("\n  ", problems)}");
        }

        var token = inventory.K3s!.Token?.Resolve() ?? ClusterToken.LoadOrCreate(inventory, out _);
        SecretRedactor.Register(token);
        var plan = new K3sPlanner(inventory, artifacts).Provision(TokenSource);
        await using var executor = new PlanExecutor(inventory, options.TimeProvider, progress, artifacts) { KubeconfigPath = KubeconfigPath, Secret = () => token,
            KnownSecrets = inventory.ExternalEtcd ? EtcdPki.LoadOrCreate(inventory, options.TimeProvider) : new Dictionary<string, string>(),
        };
        await executor.RunAsync(plan, cancellationToken).ConfigureAwait(false);
        var elapsed = options.TimeProvider.GetElapsedTime(started);
        progress?.Report(executor.Changes.Count == 0
            ? $"The cluster is already as described and healthy; nothing changed ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)."
            : $"Cluster '{inventory.ClusterName}' is provisioned and healthy: {executor.Changes.Count} changes in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s. Kubeconfig: {KubeconfigPath}");
        return new ProvisionResult([.. executor.Changes], KubeconfigPath, elapsed);
    }

}
