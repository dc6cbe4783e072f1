using System.Globalization;
using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Ssh;

namespace ChaosEdge.Health;

/// <summary>
/// The harness is a client of the VIPs like any other: it sends to the MAC address its ARP cache holds for a VIP. A node
/// that claimed a VIP during an earlier fault (the isolated side of a partition sends gratuitous ARP, as VRRP has no
/// quorum) can stay in that cache after it gave the address up: nodes forward IP (Kubernetes needs it), so the traffic
/// still arrives, by way of that node, and TCP's progress keeps the stale entry fresh. The next fault on that node then
/// cuts the VIP off for the harness until the entry expires — up to about 50 s (reachable time 15–45 s, then 5 s delay
/// and 3 probes) — and the scenario would measure the previous fault's leftover, not its own. So before a scenario the
/// harness checks, for each VIP on its own network, that its cache names the MAC of the node carrying the VIP, and
/// forgets an entry that does not (the next packet asks again, and the owner answers).
/// </summary>
public static class ClientArpCheck
{
    public const string ArpTablePath = "/proc/net/arp";

    /// <summary>A complete entry of the kernel's ARP table: the address, the MAC it resolves to, and the interface.</summary>
    public sealed record ArpEntry(IPAddress Address, string Mac, string Device);

    /// <summary>Parses <c>/proc/net/arp</c>: complete entries only (flag 0x2), MACs in lower case.</summary>
    public static IReadOnlyList<ArpEntry> ParseArpTable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<ArpEntry>();
        foreach (var line in text.Split('\n').Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && IPAddress.TryParse(fields[0], out var address)
                && int.TryParse(fields[2].Replace("0x", string.Empty, StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) && (flags & 0x2) != 0)
            {
                entries.Add(new ArpEntry(address, fields[3].ToLowerInvariant(), fields[5]));
            }
        }

        return entries;
    }

    /// <summary>
    /// Checks each of <paramref name="vips"/> against the node that carries it; reports and forgets an entry that names
    /// another MAC. A VIP with no entry (the harness reaches it through a router, or has not used it yet) is left alone;
    /// one carried by no node's interface (MetalLB's L2 speakers answer ARP without adding the address) is forgotten, so
    /// the next packet finds the speaker announcing it now.
    /// </summary>
    public static async Task CheckAsync(LabInventory inventory, IReadOnlyDictionary<string, INodeShell> shells, IReadOnlyList<IPAddress> vips, Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(shells);
        ArgumentNullException.ThrowIfNull(vips);
        ArgumentNullException.ThrowIfNull(report);
        if (!File.Exists(ArpTablePath))
        {
            return;
        }

        var table = ParseArpTable(await File.ReadAllTextAsync(ArpTablePath, cancellationToken).ConfigureAwait(false));
        var cached = vips.Distinct().Select(v => (Vip: v, Entry: table.FirstOrDefault(e => e.Address.Equals(v)))).Where(c => c.Entry is not null).ToList();
        if (cached.Count == 0)
        {
            return;
        }

        // Each node is asked once, for its MAC and its addresses, whatever the number of VIPs.
        var nodes = new List<(string Node, string Mac, string[] Addresses)>();
        foreach (var node in inventory.Nodes.Where(n => shells.ContainsKey(n.Name)))
        {
            var result = await shells[node.Name].RunAsync($"ip -4 -o addr show dev {ShellQuote.Quote(node.Interface)}; cat /sys/class/net/{ShellQuote.Quote(node.Interface)}/address", cancellationToken: cancellationToken).ConfigureAwait(false);
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (result.Succeeded && lines.Length > 0)
            {
                nodes.Add((node.Name, lines[^1].ToLowerInvariant(), lines[..^1]));
            }
        }

        var macs = nodes.GroupBy(n => n.Mac).ToDictionary(g => g.Key, g => g.First().Node, StringComparer.Ordinal);
        foreach (var (vip, entry) in cached.Select(c => (c.Vip, c.Entry!)))
        {
            var owners = nodes.Where(n => n.Addresses.Any(l => l.Contains($" {vip}/", StringComparison.Ordinal))).Select(n => (n.Node, n.Mac)).ToList();
            if (owners.Count == 0 && nodes.Count > 0)
            {
                // On no interface: MetalLB's speakers answer ARP for it, and which one does now is known only by asking.
                // An entry from before the last fault may name a node that stopped announcing it (a speaker that took the
                // address back sends no new gratuitous ARP), which still forwards the traffic and would make a fault on
                // it look like the VIP's. Forget it: the next packet asks, and the announcing speaker answers.
                var named = macs.TryGetValue(entry.Mac, out var node) ? $"node '{node}'" : "another host";
                var forgotten = await ProcessRunner.RunAsync("ip", ["neigh", "del", vip.ToString(), "dev", entry.Device], timeout: TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
                report(forgotten.ExitCode == 0
                    ? $"VIP {vip} is on no node's interface (MetalLB answers for it): forgot the harness's ARP entry naming {named} ({entry.Mac}), so the scenario starts from the speaker that announces it now."
                    : $"WARNING: the harness's ARP entry for VIP {vip} (naming {named}) could not be forgotten ({(forgotten.Stderr + forgotten.Stdout).Trim()}): it may name a node that no longer announces it.");
                continue;
            }

            if (owners.Count != 1 || owners[0].Mac == entry.Mac)
            {
                continue;
            }

            var via = macs.TryGetValue(entry.Mac, out var forwarder) ? $"node '{forwarder}'" : "another host";
            var forgot = await ProcessRunner.RunAsync("ip", ["neigh", "del", vip.ToString(), "dev", entry.Device], timeout: TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
            report(forgot.ExitCode == 0
                ? $"The harness's ARP entry for VIP {vip} named {via} ({entry.Mac}), not its owner '{owners[0].Node}' ({owners[0].Mac}): its traffic to the VIP was being forwarded by {via}, a leftover of an earlier fault. Forgot the entry, so this scenario measures the VIP, not that detour."
                : $"WARNING: the harness's ARP entry for VIP {vip} names {via} ({entry.Mac}), not its owner '{owners[0].Node}' ({owners[0].Mac}), and could not be forgotten ({(forgot.Stderr + forgot.Stdout).Trim()}; it needs root or CAP_NET_ADMIN): the harness reaches the VIP through {via}, and a fault on it will show as a VIP outage until the entry expires.");
        }
    }
}
