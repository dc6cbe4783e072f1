using ChaosEdge.Runs;
using ChaosEdge.Provision.VirtualLab;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// A lab of the lab's K3s in a given shape for a fixture: brought up (after removing what an earlier run left),
/// given the lab's short node-lifecycle timings (the ones the lab's SLA is written for, as the built-in lab's session
/// sets them) in its inventory, and provisioned by the K3s plan; taken down by <see cref="DownAsync"/>.
/// </summary>
public static class ProvisionedLab
{
    public static async Task<ChaosEdge.Provision.VirtualLab.VirtualLab> UpAsync(string name, LabShape shape, string description)
    {
        RequiresRootAttribute.Ensure();
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab(name);
        await lab.DownAsync();
        await lab.UpAsync(shape);
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        inventory = inventory with { Cluster = LabSession.LabTimings(inventory.Cluster, servers: 3) };
        await File.WriteAllTextAsync(lab.InventoryPath, ChaosEdge.Inventory.InventoryWriter.Write(inventory, lab.Directory, [description]));
        await ChaosEdge.Provision.Cluster.Provisioning.ProvisionAsync(ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath), null, null);
        return lab;
    }

    /// <summary>Takes the lab down when the fixture could bring it up (root); a fixture that failed before has nothing to remove.</summary>
    public static async Task DownAsync(ChaosEdge.Provision.VirtualLab.VirtualLab? lab)
    {
        if (lab is not null && Environment.IsPrivilegedProcess)
        {
            await lab.DownAsync();
        }
    }
}
