using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Cli;

/// <summary>
/// <c>chaosedge fault</c> (inject one fault by hand, hold it, restore it), <c>chaosedge recover</c> (undo whatever the
/// journal says is still applied) and <c>chaosedge power</c> (a node's BMC).
/// </summary>
internal static class FaultCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return FaultCommand();
        yield return RecoverCommand();
        yield return PowerCommand();
    }

    private static Command FaultCommand()
    {
        var inventory = InventoryCommands.InventoryOption();
        var kind = new Argument<string>("kind") { Description = "power-off, kubelet-stop, nic-down, etcd-member-loss or partition." };
        var node = new Option<string[]>("--node", "-n") { Description = "Target node(s); for a partition, one side.", Required = true, AllowMultipleArgumentsPerToken = true };
        var peers = new Option<string[]>("--peer") { Description = "Partition: the other side (default: every other node).", AllowMultipleArgumentsPerToken = true };
        var duration = new Option<string>("--duration", "-d") { Description = "How long the fault stays applied; node-side timers restore NIC and partition faults after it.", DefaultValueFactory = _ => "20s" };
        var quorum = new Option<bool>("--allow-quorum-loss") { Description = "Inject even though etcd would lose its quorum." };
        var reserve = new ReservationCommandOptions();
        var command = new Command("fault", "Inject one fault, hold it for the duration, restore it and verify (journalled: 'chaosedge recover' undoes it after a crash).")
            { inventory, kind, node, peers, duration, quorum };
        reserve.AddTo(command);
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = InventoryLoader.Load(parse.GetValue(inventory)!);
            var faultKind = ParseKind(parse.GetValue(kind)!);
            var text = parse.GetValue(duration)!;
            if (!ValueParsers.TryParseDuration(text, out var length) || length <= TimeSpan.Zero)
            {
                throw new ChaosEdgeException($"--duration '{text}' is not a duration such as 20s or 1m.");
            }

            var targets = parse.GetValue(node)!;
            foreach (var name in targets.Concat(parse.GetValue(peers) ?? []))
            {
                _ = lab.Node(name);
            }

            var others = parse.GetValue(peers) is { Length: > 0 } given ? given : [.. lab.Nodes.Select(n => n.Name).Except(targets)];
            var fault = FaultFactory.Create(faultKind, targets, length, TimeProvider.System, faultKind == FaultKind.Partition ? others : null);
            BlastRadius.Check(lab, [fault], parse.GetValue(quorum));
            var reservation = reserve.Read(parse, lab, $"chaosedge fault {parse.GetValue(kind)} --inventory {lab.SourcePath}");
            var progress = Output.Progress();
            return await ReservationCommandOptions.RunAsync(reservation, lab, progress, recoverFirst: true, async run =>
            {
                await using var shells = new Shells(lab);
                var context = new FaultContext(lab, shells.ByName, TimeProvider.System, progress.Report);
                var journal = FaultJournal.For(lab);
                progress.Report($"Injecting {fault.Description} (journal '{journal.Path}', id {fault.Record.Id})");
                FaultSession started;
                try
                {
                    started = await FaultSession.InjectAsync(fault, context, journal, cancellationToken: run);
                }
                catch (OperationCanceledException) when (run.IsCancellationRequested)
                {
                    // Interrupted before the fault took effect; the session restored what was applied.
                    return Output.CouldNotComplete;
                }

                await using var session = started;
                progress.Report($"In effect; holding for {length.TotalSeconds:0.#} s");
                var interrupted = false;
                try
                {
                    await Task.Delay(length, TimeProvider.System, run);
                }
                catch (OperationCanceledException)
                {
                    interrupted = true;
                    progress.Report("Interrupted: restoring now");
                }

                await session.RestoreAsync(CancellationToken.None);
                progress.Report($"Restored and verified; journal entry {fault.Record.Id} removed");
                return interrupted ? Output.CouldNotComplete : Output.Success;
            }, token);
        }));
        return command;
    }

    private static Command RecoverCommand()
    {
        var inventory = InventoryCommands.InventoryOption();
        var reserve = new ReservationCommandOptions();
        var command = new Command("recover", "Undo every fault the lab's journal says may still be applied (after a crash or kill of the harness), verify each, and report what was done.") { inventory };
        reserve.AddTo(command);
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = InventoryLoader.Load(parse.GetValue(inventory)!);
            var reservation = reserve.Read(parse, lab, $"chaosedge recover --inventory {lab.SourcePath}");
            return await ReservationCommandOptions.RunAsync(reservation, lab, Output.Progress(), recoverFirst: false, async run =>
            {
                var journal = FaultJournal.For(lab);
                var pending = journal.Pending();
                if (pending.Count == 0)
                {
                    Console.WriteLine($"The journal '{journal.Path}' lists no applied fault; nothing to recover.");
                    return Output.Success;
                }

                await using var shells = new Shells(lab);
                var outcomes = await FaultRecovery.RecoverAsync(new FaultContext(lab, shells.ByName, TimeProvider.System, Output.Progress().Report), journal, run);
                foreach (var outcome in outcomes)
                {
                    Console.WriteLine($"  {(outcome.Restored ? "RESTORED" : "FAILED  ")} {outcome.Record.Id}: {outcome.Detail}");
                }

                return outcomes.All(o => o.Restored) ? Output.Success : Output.Failed;
            }, token);
        }));
        return command;
    }

    private static Command PowerCommand()
    {
        var inventory = InventoryCommands.InventoryOption();
        var action = new Argument<string>("action") { Description = "status, on or off." };
        var node = new Option<string>("--node", "-n") { Description = "The node whose BMC is asked.", Required = true };
        var command = new Command("power", "A node's power through its BMC (IPMI or Redfish, as the inventory says).") { inventory, action, node };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = InventoryLoader.Load(parse.GetValue(inventory)!);
            var spec = lab.Node(parse.GetValue(node)!);
            var controller = Faults.PowerOff.PowerControllers.For(spec);
            switch (parse.GetValue(action))
            {
                case "on": await controller.PowerOnAsync(token); break;
                case "off": await controller.PowerOffAsync(token); break;
                case "status": break;
                case var other: throw new ChaosEdgeException($"Power action '{other}' is not one of status, on, off.");
            }

            Console.WriteLine($"{spec.Name}: power {(await controller.IsOnAsync(token) ? "on" : "off")} ({controller.Description})");
            return Output.Success;
        }));
        return command;
    }

    private static FaultKind ParseKind(string text) => text switch
    {
        "power-off" => FaultKind.PowerOff,
        "kubelet-stop" => FaultKind.KubeletStop,
        "nic-down" => FaultKind.NicDown,
        "etcd-member-loss" => FaultKind.EtcdMemberLoss,
        "partition" => FaultKind.Partition,
        _ => throw new ChaosEdgeException($"Fault '{text}' is not one of power-off, kubelet-stop, nic-down, etcd-member-loss, partition."),
    };

    /// <summary>An SSH shell per node of the lab, closed together.</summary>
    internal sealed class Shells(LabInventory lab) : IAsyncDisposable
    {
        public IReadOnlyDictionary<string, INodeShell> ByName { get; } = lab.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n), StringComparer.Ordinal);

        public async ValueTask DisposeAsync()
        {
            foreach (var shell in ByName.Values)
            {
                await shell.DisposeAsync();
            }
        }
    }
}
