using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;

namespace ChaosEdge.Faults.Partition;

/// <summary>
/// A network partition between two groups of nodes: on every node, a dedicated nftables table
/// (<c>inet chaosedge_partition</c>) drops what comes from, goes to, or is forwarded between it and the other side —
/// VRRP adverts, etcd peers, API calls, pods. A timer on each node deletes the table after the fault's duration even
/// if the harness dies; restore deletes it (and the timer) at once. The harness itself still reaches both sides.
/// </summary>
public sealed class PartitionFault(FaultRecord record) : FaultBase(record)
{
    /// <summary>The nftables table every partition rule lives in; deleting it removes the partition exactly.</summary>
    public const string Table = "chaosedge_partition";

    private long tookEffect;

    public override string Description =>
        $"partition {{{string.Join(", ", Record.Targets)}}} | {{{string.Join(", ", Record.Peers)}}} for {Record.Duration.TotalSeconds:0.#} s";

    private IEnumerable<string> AllNodes => Record.Targets.Concat(Record.Peers);

    private string TimerFile => $"{NodeStateDirectory}/{Record.Id}.timer";

    /// <summary>etcd members cut off from a majority: those of the side without one (all of them when neither side has one).</summary>
    public override IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory)
    {
        var servers = inventory.EtcdMembers.Select(s => s.Name).ToList();
        var a = servers.Where(Record.Targets.Contains).ToList();
        var b = servers.Where(s => !Record.Targets.Contains(s)).ToList();
        var quorum = (servers.Count / 2) + 1;
        return a.Count >= quorum ? b : b.Count >= quorum ? a : servers;
    }

    public override async Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        foreach (var node in AllNodes)
        {
            var others = (Record.Targets.Contains(node) ? Record.Peers : Record.Targets).Select(n => context.Inventory.Node(n).Address.ToString());
            var set = string.Join(", ", others);
            var rules = $"table inet {Table} {{\n  chain input {{ type filter hook input priority -300; ip saddr {{ {set} }} drop; }}\n"
                + $"  chain output {{ type filter hook output priority -300; ip daddr {{ {set} }} drop; }}\n"
                + $"  chain forward {{ type filter hook forward priority -300; ip saddr {{ {set} }} drop; ip daddr {{ {set} }} drop; }}\n}}";

            // The timer is armed before the rules exist.
            var timer = $"sleep {DurationSeconds}; nft delete table inet {Table}";
            context.Report($"'{node}' drops traffic with {set} (table inet {Table}; its timer removes it after {DurationSeconds} s)");
            await context.Shell(node).RunCheckedAsync(
                $"mkdir -p {NodeStateDirectory} && (setsid nohup sh -c {ShellQuote.Quote(timer)} >/dev/null 2>&1 </dev/null & echo $! > {TimerFile}) && printf '%s\\n' {ShellQuote.Quote(rules)} | nft -f -",
                new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(15) }, cancellationToken).ConfigureAwait(false);
        }

        tookEffect = context.Time.GetTimestamp();
    }

    public override async Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        foreach (var node in AllNodes)
        {
            var result = await context.Shell(node).RunAsync($"nft list table inet {Table}", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded || !result.Stdout.Contains("drop", StringComparison.Ordinal))
            {
                throw new FaultInjectionException($"Node '{node}' has no partition rules (table inet {Table}): {result.Stderr.Trim()}");
            }
        }

        return tookEffect != 0 ? tookEffect : context.Time.GetTimestamp();
    }

    public override async Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        foreach (var node in AllNodes)
        {
            context.Report($"'{node}': deleting table inet {Table} and its timer");
            await context.Shell(node).RunAsync(
                $"nft delete table inet {Table} 2>/dev/null; [ -f {TimerFile} ] && kill $(cat {TimerFile}) 2>/dev/null; rm -f {TimerFile}; true",
                new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(15) }, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        foreach (var node in AllNodes)
        {
            var result = await context.Shell(node).RunCheckedAsync("nft list tables", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Stdout.Contains(Table, StringComparison.Ordinal))
            {
                throw new FaultRevertException($"Node '{node}' still has table inet {Table}.");
            }
        }
    }
}
