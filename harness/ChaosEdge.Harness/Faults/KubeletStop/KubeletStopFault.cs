using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Faults.KubeletStop;

/// <summary>
/// Stops the node's Kubernetes service — <c>k3s</c> on a K3s server (API server, kubelet and the embedded etcd member
/// with it), <c>k3s-agent</c> on an agent, <c>kubelet</c> on a kubeadm node — whichever unit the node has. Its pods keep
/// running, as containers do. Restore starts it again.
/// </summary>
public sealed class KubeletStopFault(FaultRecord record) : FaultBase(record)
{
    private const string FindUnit =
        "for u in k3s k3s-agent kubelet; do for d in /etc/systemd/system /usr/local/lib/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -f \"$d/$u.service\" ] && echo \"$u\" && exit 0; done; done; exit 1";

    private long tookEffect;

    public override string Description => $"kubelet stop on '{Target}'";

    public override IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory) => MembersAmong(inventory, Record.Targets);

    public override async Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var unit = await UnitAsync(context, cancellationToken).ConfigureAwait(false);
        context.Report($"systemctl stop {unit} on '{Target}'");
        await context.Shell(Target).RunCheckedAsync($"systemctl stop {unit}", new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
        tookEffect = context.Time.GetTimestamp();
    }

    public override async Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var unit = await UnitAsync(context, cancellationToken).ConfigureAwait(false);
        var state = await context.Shell(Target).RunAsync($"systemctl is-active {unit}", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (state.Succeeded)
        {
            throw new FaultInjectionException($"'{unit}' on node '{Target}' is still active after 'systemctl stop {unit}'.");
        }

        return tookEffect != 0 ? tookEffect : context.Time.GetTimestamp();
    }

    public override async Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var unit = await UnitAsync(context, cancellationToken).ConfigureAwait(false);
        context.Report($"systemctl start {unit} on '{Target}'");
        await context.Shell(Target).RunCheckedAsync($"systemctl start {unit}", new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
    }

    public override async Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var unit = await UnitAsync(context, cancellationToken).ConfigureAwait(false);
        var state = await context.Shell(Target).RunAsync($"systemctl is-active {unit}", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!state.Succeeded)
        {
            throw new FaultRevertException($"'{unit}' on node '{Target}' is not active after 'systemctl start {unit}': {state.Stdout.Trim()}");
        }
    }

    private async Task<string> UnitAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var result = await context.Shell(Target).RunAsync(FindUnit, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.Stdout.Trim()
            : throw new FaultInjectionException($"Node '{Target}' has none of the units k3s, k3s-agent or kubelet.");
    }
}
