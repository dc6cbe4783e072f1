using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Faults.NicDown;

/// <summary>
/// Takes the node's primary NIC down. That cuts the harness's own SSH session, so the restore is armed on the node
/// first: one detached process takes the link down, sleeps the fault's duration, brings it up and leaves a marker —
/// whatever happens to the harness. Restore waits for that moment and verifies the node answers, its link is up and
/// the marker exists.
/// </summary>
public sealed class NicDownFault(FaultRecord record) : FaultBase(record)
{
    public override string Description => $"NIC down on '{Target}' for {Record.Duration.TotalSeconds:0.#} s";

    public override IReadOnlyCollection<string> UnreachableNodes => Record.Targets;

    public override IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory) => MembersAmong(inventory, Record.Targets);

    private string Marker => $"{NodeStateDirectory}/{Record.Id}.restored";

    public override async Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var node = context.Inventory.Node(Target);
        var nic = node.Interface;

        // The short pause lets this SSH command return before its own connection goes.
        var script = $"sleep 0.5; ip link set {nic} down; sleep {DurationSeconds}; ip link set {nic} up; date +%s > {Marker}";
        context.Report($"Arming on '{Target}': '{nic}' down now, up again after {DurationSeconds} s (a timer on the node)");
        await context.Shell(Target).RunCheckedAsync(
            $"mkdir -p {NodeStateDirectory} && rm -f {Marker} && (setsid nohup sh -c {ShellQuote.Quote(script)} >/dev/null 2>&1 </dev/null &) && echo armed",
            new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(10) }, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        // The link goes down on the node's own schedule; its instant is the first of two connection attempts in a row
        // that fail (each attempt is sent every 10 ms and waits at most 50 ms). One failure alone is not enough: on a
        // busy machine an attempt can miss its 50 ms while the link is still up, and a fault marked early makes the
        // VIP's samples before the real loss look like a recovery (a 2.5 ms "takeover" was measured that way).
        var node = context.Inventory.Node(Target);
        var deadline = context.Time.GetTimestamp() + (long)(10 * context.Time.TimestampFrequency);
        long? firstFailure = null;
        while (context.Time.GetTimestamp() < deadline)
        {
            var sent = context.Time.GetTimestamp();
            if (await SshPortAnswersAsync(node, TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false))
            {
                firstFailure = null;
            }
            else if (firstFailure is { } first)
            {
                return first;
            }
            else
            {
                firstFailure = sent;
            }

            var wait = TimeSpan.FromMilliseconds(10) - context.Time.GetElapsedTime(sent);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, context.Time, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new FaultInjectionException($"Node '{Target}' still answers 10 s after its NIC '{node.Interface}' was to go down.");
    }

    public override async Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        // Nothing the harness can do while the link is down: the node's timer restores it.
        var remaining = Record.RestoreDueAt - context.Time.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            context.Report($"Waiting {remaining.TotalSeconds:0.0} s for the timer on '{Target}' to bring its NIC up");
            await Task.Delay(remaining, context.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var nic = context.Inventory.Node(Target).Interface;
        try
        {
            await WaitReachableAsync(context, Target, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (GateTimeoutException e)
        {
            throw new FaultRevertException($"Node '{Target}' did not answer after its NIC restore timer was due at {Record.RestoreDueAt:u}; check its console: 'ip link set {nic} up'.", e);
        }

        var state = await context.Shell(Target).RunAsync($"ip -o link show {nic}; cat {Marker} 2>/dev/null || echo no-marker", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!state.Stdout.Contains("state UP", StringComparison.Ordinal) && !state.Stdout.Contains(",UP", StringComparison.Ordinal))
        {
            throw new FaultRevertException($"NIC '{nic}' of node '{Target}' is not up: {state.Stdout.Trim()}");
        }

        context.Report(state.Stdout.Contains("no-marker", StringComparison.Ordinal)
            ? $"'{nic}' on '{Target}' is up (no restore marker: the node rebooted since, or the timer was not reached)"
            : $"'{nic}' on '{Target}' is up; its timer restored it");
    }
}
