using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Waiting;

namespace ChaosEdge.Faults.PowerOff;

/// <summary>
/// Power-off through the node's BMC: no clean shutdown, the node's network and processes gone at once. Restore powers
/// it on and waits until it answers over SSH again (its services then start as at any boot).
/// </summary>
public sealed class PowerOffFault(FaultRecord record) : FaultBase(record)
{
    private long tookEffect;

    /// <summary>How long a node may take to answer after power-on (a real server's POST and boot take minutes).</summary>
    public static TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public override string Description => $"power-off of '{Target}'";

    public override IReadOnlyCollection<string> UnreachableNodes => Record.Targets;

    public override IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory) => MembersAmong(inventory, Record.Targets);

    public override async Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var controller = context.PowerController(context.Inventory.Node(Target));
        context.Report($"Powering '{Target}' off through its {controller.Description}");
        await controller.PowerOffAsync(cancellationToken).ConfigureAwait(false);

        // The BMC answers once the power is cut.
        tookEffect = context.Time.GetTimestamp();
    }

    public override async Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var node = context.Inventory.Node(Target);
        var controller = context.PowerController(node);
        await Wait.UntilAsync($"Node '{Target}'", $"be reported powered off by its {controller.Description}", async token =>
            (!await controller.IsOnAsync(token).ConfigureAwait(false), "its BMC reports power on"), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), context.Time, cancellationToken).ConfigureAwait(false);
        await Wait.UntilAsync($"Node '{Target}'", "stop answering on its SSH port", async token =>
            (!await SshPortAnswersAsync(node, TimeSpan.FromMilliseconds(300), token).ConfigureAwait(false), "its SSH port still answers"), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), context.Time, cancellationToken).ConfigureAwait(false);
        return tookEffect != 0 ? tookEffect : context.Time.GetTimestamp();
    }

    public override async Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var controller = context.PowerController(context.Inventory.Node(Target));
        if (await controller.IsOnAsync(cancellationToken).ConfigureAwait(false))
        {
            context.Report($"'{Target}' is already powered on");
            return;
        }

        context.Report($"Powering '{Target}' on through its {controller.Description}");
        await controller.PowerOnAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var controller = context.PowerController(context.Inventory.Node(Target));
        if (!await controller.IsOnAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new FaultRevertException($"Node '{Target}' is still powered off according to its {controller.Description}.");
        }

        await WaitReachableAsync(context, Target, BootTimeout, cancellationToken).ConfigureAwait(false);
    }
}
