using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Inventory;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge inventory check</c>: validate an inventory without contacting anything.</summary>
internal static class InventoryCommands
{
    public static Option<string> InventoryOption() => new("--inventory", "-i")
    {
        Description = "The lab's inventory file (lab.yaml).",
        Required = true,
    };

    public static Command Create()
    {
        var inventory = InventoryOption();
        var check = new Command("check", "Validate an inventory and list every problem with file, line and column; nothing is contacted.") { inventory };
        check.SetAction((parse, _) => Output.GuardAsync(() =>
        {
            var path = parse.GetValue(inventory)!;
            var lab = InventoryLoader.Load(path);
            Console.WriteLine($"'{path}' is valid: cluster '{lab.ClusterName}', {lab.Nodes.Count} nodes ({lab.Servers.Count()} servers), control-plane VIP {lab.ControlPlane.Vip}, {lab.ServiceVipPool.Count} service VIPs.");
            foreach (var warning in lab.Warnings)
            {
                Console.WriteLine("warning: " + warning);
            }
            return Task.FromResult(Output.Success);
        }));

        return new Command("inventory", "Inventory files.") { check };
    }
}
