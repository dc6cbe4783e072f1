using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Inventory;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge provision -i lab.yaml [--plan] [--reset]</c>: build (or remove) the HA cluster over SSH, or print the plan.</summary>
internal static class ProvisionCommand
{
    public static Command Create()
    {
        var inventory = InventoryCommands.InventoryOption();
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Where to write the kubeconfig (server: the control-plane VIP). Default: 'kubeconfig' next to the inventory." };
        var plan = new Option<bool>("--plan") { Description = "Print, per node, the ordered commands, files and manifests provisioning (or --reset) would apply, without touching anything." };
        var reset = new Option<bool>("--reset") { Description = "Uninstall everything provisioning installed (K3s's uninstall scripts, data included) for a clean start." };
        var command = new Command("provision", "Build the HA cluster on the inventory's nodes over SSH (idempotent), then wait for the health gate.") { inventory, kubeconfig, plan, reset };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = InventoryLoader.Load(parse.GetValue(inventory)!, forReview: parse.GetValue(plan));
            foreach (var warning in lab.Warnings)
            {
                await Console.Error.WriteLineAsync("chaosedge: warning: " + warning);
            }

            if (parse.GetValue(plan))
            {
                return PrintPlan(lab, parse.GetValue(reset));
            }

            if (parse.GetValue(reset))
            {
                var removed = await Provisioning.ResetAsync(lab, null, Output.Progress(), token);
                Console.WriteLine(removed.Count == 0 ? "Nothing was installed; nothing changed." : $"Reset done: {removed.Count} node(s) cleaned.");
                return Output.Success;
            }

            await RunAsync(lab, parse.GetValue(kubeconfig), token);
            return Output.Success;
        }));
        return command;
    }

    public static async Task<ProvisionResult> RunAsync(LabInventory lab, string? kubeconfig, CancellationToken token)
    {
        var result = await Provisioning.ProvisionAsync(lab, new ProvisionOptions { KubeconfigPath = kubeconfig }, Output.Progress(), token);
        Console.WriteLine($"  kubeconfig      {result.KubeconfigPath}");
        Console.WriteLine($"  try             kubectl --kubeconfig {result.KubeconfigPath} get nodes");
        return result;
    }

    private static int PrintPlan(LabInventory lab, bool reset)
    {
        if (reset)
        {
            Console.Write(Provisioning.ResetPlan(lab).Render());
            return Output.Success;
        }

        if (lab.Cluster.Runtime == ClusterRuntime.Lab)
        {
            throw new Errors.ChaosEdgeException($"Inventory '{lab.SourcePath}' describes the virtual lab's runtime (cluster.runtime: lab), which 'provision' installs directly; --plan prints the plan of real K3s clusters (and, with --reset, of either).");
        }

        var provisioner = new K3sProvisioner(lab);
        Console.Write(provisioner.Plan().Render());
        var artifacts = ArtifactSet.Open(lab);
        var missing = artifacts.Required.Where(a => !File.Exists(artifacts.PathOf(a)) || artifacts.ExpectedSha256(a) is null).ToList();
        Console.WriteLine();
        Console.WriteLine(missing.Count == 0
            ? $"Artifacts: all {artifacts.Required.Count} present in '{artifacts.Directory}' with checksums (their SHA-256 is verified when provisioning starts)."
            : $"Artifacts still to place in '{artifacts.Directory}' (or to list in SHA256SUMS): {string.Join(", ", missing)}. Provisioning refuses to start until they are there.");
        return Output.Success;
    }
}
