using ChaosEdge.Inventory;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Provision.Cluster;

/// <summary>Provisions or resets a cluster with what its inventory's <c>cluster.runtime</c> says: real K3s, or the virtual lab's runtime.</summary>
public static class Provisioning
{
    public static async Task<ProvisionResult> ProvisionAsync(LabInventory inventory, ProvisionOptions? options, IProgress<string>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        if (inventory.Cluster.Runtime == ClusterRuntime.K3s)
        {
            return await new K3sProvisioner(inventory, options).ProvisionAsync(progress, cancellationToken).ConfigureAwait(false);
        }

        await using var provisioner = new ClusterProvisioner(inventory, options);
        return await provisioner.ProvisionAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The plan <c>--reset</c> runs: K3s's uninstall scripts, or the lab runtime's removal.</summary>
    public static ProvisionPlan ResetPlan(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        return inventory.Cluster.Runtime == ClusterRuntime.K3s ? new K3sProvisioner(inventory).ResetPlan() : ClusterProvisioner.ResetPlan(inventory);
    }

    /// <summary>Removes everything provisioning installed on the nodes; returns what it changed.</summary>
    public static async Task<IReadOnlyList<string>> ResetAsync(LabInventory inventory, ProvisionOptions? options, IProgress<string>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        await using var executor = new PlanExecutor(inventory, (options ?? new ProvisionOptions()).TimeProvider, progress);
        await executor.RunAsync(ResetPlan(inventory), cancellationToken).ConfigureAwait(false);
        return executor.Changes;
    }
}
