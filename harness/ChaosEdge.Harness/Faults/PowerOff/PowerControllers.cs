using ChaosEdge.Inventory;

namespace ChaosEdge.Faults.PowerOff;

/// <summary>Chooses a node's power controller from its inventory entry.</summary>
public static class PowerControllers
{
    /// <summary>The controller of the node's BMC.</summary>
    /// <exception cref="Errors.FaultInjectionException">The node has no BMC in the inventory.</exception>
    public static IPowerController For(NodeSpec node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Bmc switch
        {
            { Kind: BmcKind.Ipmi } bmc => new IpmiPowerController(node.Name, bmc),
            { Kind: BmcKind.Redfish } bmc => new RedfishPowerController(node.Name, bmc),
            _ => throw new Errors.FaultInjectionException($"Node '{node.Name}' has no BMC in the inventory, so it cannot be powered off; add a 'bmc:' entry (ipmi or redfish)."),
        };
    }
}
