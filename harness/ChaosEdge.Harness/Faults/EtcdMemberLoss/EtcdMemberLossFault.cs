using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Faults.EtcdMemberLoss;

/// <summary>
/// etcd member loss, as an operator replacing a failed server does it: stop the node's K3s service, remove its member
/// through the remaining quorum, wipe its etcd data directory. Restore rejoins it as a fresh member — K3s joins a server
/// with no etcd data through <c>server:</c>, so a drop-in <c>config.yaml.d/90-chaosedge-rejoin.yaml</c> names the
/// control-plane VIP while it joins — and waits until every member is started and healthy with equal revisions.
/// On an external etcd cluster (etcd nodes, the servers' datastore) the same is done to the node's <c>etcd</c> service:
/// stopped, removed, its data wiped; restored by adding it back (<c>etcdctl member add</c>) and starting it with the
/// initial cluster that names, as etcd's runtime reconfiguration guide describes.
/// </summary>
public sealed class EtcdMemberLossFault(FaultRecord record) : FaultBase(record)
{
    /// <summary>K3s's embedded etcd data directory.</summary>
    public const string DataDirectory = "/var/lib/rancher/k3s/server/db/etcd";

    /// <summary>The drop-in that makes the node join through the VIP.</summary>
    public const string RejoinDropIn = "/etc/rancher/k3s/config.yaml.d/90-chaosedge-rejoin.yaml";

    /// <summary>An external etcd node's data directory and settings (the K3s plan's).</summary>
    public const string ExternalDataDirectory = "/var/lib/etcd";

    public const string ExternalEnvironment = "/etc/etcd/etcd.env";

    private long tookEffect;

    public override string Description => $"etcd member loss of '{Target}'";

    public override IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory) => Record.Targets;

    /// <summary>The service whose stop stops the member: K3s on a server, etcd on an external etcd node.</summary>
    private static string Unit(FaultContext context) => context.Inventory.ExternalEtcd ? "etcd" : "k3s";

    /// <summary>
    /// What is wiped: K3s's etcd directory; on an external etcd node the member's data inside its data directory
    /// (<c>member/</c>, what etcd reads back), as that directory is often a mount point of its own (a disk for etcd).
    /// </summary>
    private static string Data(FaultContext context) => context.Inventory.ExternalEtcd ? $"{ExternalDataDirectory}/member" : DataDirectory;

    public override async Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        RequireMember(context);
        context.Report($"systemctl stop {Unit(context)} on '{Target}' (its etcd member stops)");
        await context.Shell(Target).RunCheckedAsync($"systemctl stop {Unit(context)}", new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
        tookEffect = context.Time.GetTimestamp();
        await RemoveMemberAsync(context, cancellationToken).ConfigureAwait(false);
        context.Report($"Wiping {Data(context)} on '{Target}'");
        await context.Shell(Target).RunCheckedAsync($"rm -rf {Data(context)}", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public override async Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        if (await MemberAsync(context, cancellationToken).ConfigureAwait(false) is { } member)
        {
            throw new FaultInjectionException($"etcd still lists a member for '{Target}' ({member["ID"]}).");
        }

        var data = await context.Shell(Target).RunAsync($"test -e {Data(context)}", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (data.Succeeded)
        {
            throw new FaultInjectionException($"'{Data(context)}' on '{Target}' still exists.");
        }

        return tookEffect != 0 ? tookEffect : context.Time.GetTimestamp();
    }

    public override async Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        RequireMember(context);
        var active = (await context.Shell(Target).RunAsync($"systemctl is-active {Unit(context)}", cancellationToken: cancellationToken).ConfigureAwait(false)).Succeeded;
        var member = await MemberAsync(context, cancellationToken).ConfigureAwait(false);
        if (active && member is not null && !string.IsNullOrEmpty((string?)member["name"]))
        {
            context.Report($"'{Target}' is an etcd member and its {Unit(context)} is running; nothing to rejoin");
            return;
        }

        // Whatever state a crash left (member still listed, data half there), the way back is the same: a fresh member.
        await context.Shell(Target).RunAsync($"systemctl stop {Unit(context)}", new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
        await RemoveMemberAsync(context, cancellationToken).ConfigureAwait(false);
        if (context.Inventory.ExternalEtcd)
        {
            await RejoinExternalAsync(context, cancellationToken).ConfigureAwait(false);
            return;
        }

        var vip = context.Inventory.ControlPlane;
        context.Report($"'{Target}' rejoins etcd as a fresh member through https://{vip.Vip}:{vip.Port}");
        await context.Shell(Target).RunCheckedAsync(
            $"rm -rf {DataDirectory} && mkdir -p $(dirname {RejoinDropIn}) && printf 'server: https://{vip.Vip}:{vip.Port.ToString(CultureInfo.InvariantCulture)}\\n' > {RejoinDropIn} && systemctl start k3s",
            new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the node back as a member through a peer, then starts its etcd with the initial cluster the peer answered.</summary>
    private async Task RejoinExternalAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var address = context.Inventory.Node(Target).Address;
        context.Report($"'{Target}' rejoins etcd as a fresh member (etcdctl member add, then etcd with the initial cluster it names)");
        var added = await Peer(context).RunCheckedAsync(
            $"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {EtcdProbe.EtcdctlFlags(context.Inventory)} --command-timeout=10s member add {Target} --peer-urls=https://{address}:2380",
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var cluster = added.Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ETCD_INITIAL_CLUSTER=", StringComparison.Ordinal))?["ETCD_INITIAL_CLUSTER=".Length..].Trim('"')
            ?? throw new FaultRevertException($"'etcdctl member add {Target}' did not name the initial cluster: {added.Stdout.Trim()}");
        await context.Shell(Target).RunCheckedAsync(
            $"rm -rf {ExternalDataDirectory}/member && mkdir -p -m 700 {ExternalDataDirectory} && sed -i -e 's|^ETCD_INITIAL_CLUSTER=.*|ETCD_INITIAL_CLUSTER={cluster}|' -e 's|^ETCD_INITIAL_CLUSTER_STATE=.*|ETCD_INITIAL_CLUSTER_STATE=existing|' {ExternalEnvironment} && systemctl start etcd",
            new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken).ConfigureAwait(false);
    }

    public override async Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default)
    {
        var servers = context.Inventory.EtcdMembers.ToList();
        var endpoints = string.Join(',', servers.Select(s => $"https://{s.Address}:2379"));
        var asker = context.Shell(Target);
        await Wait.UntilAsync("The etcd cluster", $"have {servers.Count} started, healthy members with equal revisions ('{Target}' rejoined)", async token =>
        {
            var result = await asker.RunAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {EtcdProbe.EtcdctlFlags(context.Inventory)} --command-timeout=3s endpoint status -w json 2>&1", cancellationToken: token).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return (false, result.Stdout.Trim());
            }

            var (revisions, members) = ReadEndpointStatus(result.Stdout);
            var equal = revisions.Count == servers.Count && revisions.All(r => r is not null) && revisions.Distinct().Count() == 1;
            return (equal && members == servers.Count, $"revisions {string.Join(", ", revisions)}");
        }, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500), context.Time, cancellationToken).ConfigureAwait(false);

        // Joined: the node restarts from its own data from now on, as before the fault.
        if (!context.Inventory.ExternalEtcd)
        {
            await asker.RunCheckedAsync($"rm -f {RejoinDropIn}", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads <c>etcdctl endpoint status -w json</c>: each endpoint's revision and how many distinct members answered.
    /// Member IDs are unsigned 64-bit and often above <see cref="long.MaxValue"/>.
    /// </summary>
    internal static (IReadOnlyList<long?> Revisions, int Members) ReadEndpointStatus(string json)
    {
        var statuses = JsonNode.Parse(json) as JsonArray ?? [];
        var revisions = statuses.Select(s => (long?)s?["Status"]?["header"]?["revision"]).ToList();
        var members = statuses.Select(s => (ulong?)s?["Status"]?["header"]?["member_id"]).Where(m => m is not null).Distinct().Count();
        return (revisions, members);
    }

    private void RequireMember(FaultContext context)
    {
        if (!context.Inventory.EtcdMembers.Any(m => m.Name == Target))
        {
            throw new FaultInjectionException($"Node '{Target}' runs no etcd member (the members run on {string.Join(", ", context.Inventory.EtcdMembers.Select(m => m.Name))}).");
        }
    }

    private INodeShell Peer(FaultContext context) =>
        context.Shell(context.Inventory.EtcdMembers.First(s => s.Name != Target).Name);

    private async Task<JsonObject?> MemberAsync(FaultContext context, CancellationToken cancellationToken)
    {
        var result = await Peer(context).RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {EtcdProbe.EtcdctlFlags(context.Inventory)} --command-timeout=5s member list -w json", cancellationToken: cancellationToken).ConfigureAwait(false);
        var address = context.Inventory.Node(Target).Address.ToString();
        return ((JsonNode.Parse(result.Stdout)?["members"] as JsonArray) ?? []).OfType<JsonObject>()
            .FirstOrDefault(m => (string?)m["name"] == Target || (m["peerURLs"] as JsonArray ?? []).Any(u => ((string?)u ?? string.Empty).Contains($"//{address}:", StringComparison.Ordinal)));
    }

    private async Task RemoveMemberAsync(FaultContext context, CancellationToken cancellationToken)
    {
        if (await MemberAsync(context, cancellationToken).ConfigureAwait(false) is not { } member)
        {
            return;
        }

        var id = ((ulong)member["ID"]!).ToString("x", CultureInfo.InvariantCulture);
        context.Report($"Removing etcd member '{Target}' ({id}) through the remaining members");
        await Peer(context).RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {EtcdProbe.EtcdctlFlags(context.Inventory)} --command-timeout=10s member remove {id}", cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
