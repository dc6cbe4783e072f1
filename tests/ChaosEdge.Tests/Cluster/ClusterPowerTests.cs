using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>A node power-cycled through its BMC, as the power-off fault does, comes back as a working cluster member.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterPowerTests
{
    [TestCase("edge-3")]
    [TestCase("edge-2")]
    public async Task A_node_powered_off_and_on_through_its_BMC_returns_Ready_with_its_services(string node)
    {
        // edge-3 has an IPMI BMC, edge-2 a Redfish one; both were started in a directory the nodes do not share.
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
        var inventory = ClusterLab.Inventory.SourcePath;

        var off = await ProcessRunner.RunAsync("dotnet", [cli, "power", "--inventory", inventory, "--node", node, "off"], timeout: TimeSpan.FromMinutes(1));
        var on = await ProcessRunner.RunAsync("dotnet", [cli, "power", "--inventory", inventory, "--node", node, "on"], timeout: TimeSpan.FromMinutes(2));

        Assert.That(off.ExitCode, Is.Zero, off.Stdout + off.Stderr);
        Assert.That(on.ExitCode, Is.Zero, on.Stdout + on.Stderr);
        await ClusterLab.WaitHealthyAsync();
        var service = await ClusterLab.Shell(node).RunAsync("systemctl is-active k3s; tail -n 5 /var/log/k3s.log");
        Assert.That(service.Stdout, Does.StartWith("active").And.Not.Contain("Unhandled exception"), service.Stdout);
    }
}
