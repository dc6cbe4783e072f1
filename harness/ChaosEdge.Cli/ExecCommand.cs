using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge exec</c>: run a command on a node through the harness's node shell (verified host key).</summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var inventory = InventoryCommands.InventoryOption();
        var node = new Option<string>("--node", "-n") { Description = "The node's name in the inventory.", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "Seconds before the command is killed.", DefaultValueFactory = _ => 60 };
        var command = new Argument<string[]>("command") { Description = "The command, after '--'.", Arity = ArgumentArity.OneOrMore };
        var exec = new Command("exec", "Run a command on a node over SSH, as the harness does; prints its output and exits with its exit code.") { inventory, node, timeout, command };
        exec.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = InventoryLoader.Load(parse.GetValue(inventory)!);
            var spec = lab.Node(parse.GetValue(node)!);
            await using var shell = new SshNodeShell(spec);
            var options = new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
            var result = await shell.RunAsync(string.Join(' ', parse.GetValue(command)!), options, token);
            Console.Out.Write(result.Stdout);
            Console.Error.Write(result.Stderr);
            return result.ExitCode;
        }));
        return exec;
    }
}
