using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Inventory;
using ChaosEdge.Provision.Cluster;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge provision -i lab.yaml</c>: build the HA cluster over SSH and prove it healthy.</summary>
internal static class ProvisionCommand
{
    public static Command Create()
    {
        var inventory = InventoryCommands.InventoryOption();
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Where to write the kubeconfig (server: the control-plane VIP). Default: 'kubeconfig' next to the inventory." };
        var command = new Command("provision", "Build the HA cluster on the inventory's nodes over SSH (idempotent), then wait for the health gate.") { inventory, kubeconfig };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            await RunAsync(parse.GetValue(inventory)!, parse.GetValue(kubeconfig), token);
            return Output.Success;
        }));
        return command;
    }

    public static async Task<ProvisionResult> RunAsync(string inventoryPath, string? kubeconfig, CancellationToken token)
    {
        var lab = InventoryLoader.Load(inventoryPath);
        foreach (var warning in lab.Warnings)
        {
            await Console.Error.WriteLineAsync("chaosedge: warning: " + warning);
        }

        await using var provisioner = new ClusterProvisioner(lab, new ProvisionOptions { KubeconfigPath = kubeconfig });
        var result = await provisioner.ProvisionAsync(Output.Progress(), token);
        Console.WriteLine($"  kubeconfig      {result.KubeconfigPath}");
        Console.WriteLine($"  try             kubectl --kubeconfig {result.KubeconfigPath} get nodes");
        return result;
    }
}
