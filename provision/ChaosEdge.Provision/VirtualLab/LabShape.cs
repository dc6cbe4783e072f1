using System.Text.RegularExpressions;
using ChaosEdge.Errors;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// The names a lab's machines carry: its nodes' names (the first three are servers, the rest agents) and the name of
/// each node's network interface. The default is <c>edge-1…edge-N</c> on <c>eth0</c>; a lab can copy a site's naming
/// instead (<c>n100-1…3</c> on <c>enp1s0</c>), so nothing in the harness may depend on the lab's own.
/// </summary>
/// <param name="NodeNames">Node names, in order: DNS labels (lower-case letters, digits, '-'), distinct.</param>
/// <param name="Interface">Each node's interface: up to 15 letters, digits, '-', '_' or '.', not <c>lo</c>.</param>
public sealed partial record LabShape(IReadOnlyList<string> NodeNames, string Interface)
{
    /// <summary>
    /// What holds the control-plane VIP: keepalived (VRRP, the lab's default) or kube-vip with <see cref="KubeVip"/>'s
    /// image and timings, deployed as on hardware (the K3s plan's manifest in K3s's auto-deploy directory).
    /// </summary>
    public Inventory.VipProvider ControlPlaneVip { get; init; } = Inventory.VipProvider.Keepalived;

    /// <summary>kube-vip's image and leader-election timings when it holds the VIP; kube-vip's own defaults unless set.</summary>
    public Inventory.KubeVipSettings KubeVip { get; init; } = Inventory.KubeVipSettings.Default;

    /// <summary>
    /// The nodes run the lab's K3s, installed by the K3s plan itself (<c>cluster.runtime: k3s</c>, an artifacts directory
    /// of the lab's <c>k3s</c>, <c>install.sh</c> and manifests with their checksums), instead of the lab's runtime
    /// installed directly (<c>cluster.runtime: lab</c>, the default).
    /// </summary>
    public bool K3sRuntime { get; init; }

    /// <summary>
    /// How many of the last nodes are dedicated load balancers (keepalived holding the control-plane VIP and HAProxy in
    /// front of the API servers, no K3s: kubeadm's HA layout); 0, the default, puts keepalived and HAProxy on the servers.
    /// Only with the lab's K3s and keepalived.
    /// </summary>
    public int LoadBalancers { get; init; }

    /// <summary>
    /// How many nodes (before the load balancers) are an external etcd cluster, the servers' datastore (K3s's
    /// <c>--datastore-endpoint</c>), running real etcd installed by the K3s plan; 0, the default, is K3s's embedded etcd.
    /// Only with the lab's K3s.
    /// </summary>
    public int EtcdNodes { get; init; }

    /// <summary>
    /// The role of the node at <paramref name="index"/> (1-based): the first three are servers, the last
    /// <see cref="LoadBalancers"/> load balancers, the <see cref="EtcdNodes"/> before them etcd nodes, the rest agents.
    /// </summary>
    public Inventory.NodeRole RoleOf(int index) =>
        index <= 3 ? Inventory.NodeRole.Server
        : index > NodeCount - LoadBalancers ? Inventory.NodeRole.LoadBalancer
        : index > NodeCount - LoadBalancers - EtcdNodes ? Inventory.NodeRole.Etcd
        : Inventory.NodeRole.Agent;

    /// <summary>The inventory's <c>k3s:</c> block for this shape: <c>null</c> for the lab's default (keepalived).</summary>
    public Inventory.K3sSettings? K3s => K3sRuntime
        ? new Inventory.K3sSettings(Inventory.K3sSettings.LabRelease, Inventory.K3sInstallSource.Airgap, null, ControlPlaneVip, KubeVip, null, Inventory.K3sSettings.DefaultSampleImage)
        : ControlPlaneVip == Inventory.VipProvider.KubeVip ? Inventory.K3sSettings.ForLab(ControlPlaneVip, KubeVip) : null;

    /// <summary>
    /// The control-plane VIP's port: 6443, the API servers' own, unless the lab's K3s runs the plan's keepalived +
    /// HAProxy shape on the servers, where HAProxy's frontend on every server needs another (16443; K3s holds 6443 on
    /// every address). Dedicated load-balancer nodes serve the VIP on 6443, as kubeadm's HA layout does.
    /// </summary>
    public int ControlPlanePort => K3sRuntime && ControlPlaneVip == Inventory.VipProvider.Keepalived && LoadBalancers == 0 ? 16443 : 6443;

    /// <summary>The interface a node has unless told otherwise.</summary>
    public const string DefaultInterface = "eth0";

    public int NodeCount => NodeNames.Count;

    /// <summary><paramref name="nodeCount"/> nodes named <c>edge-1</c>… on <c>eth0</c>.</summary>
    public static LabShape Default(int nodeCount) =>
        new([.. Enumerable.Range(1, Math.Max(nodeCount, 0)).Select(LabNames.NodeName)], DefaultInterface);

    /// <summary>Every problem with the shape, one sentence each; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (NodeNames.Count is < 1 or > LabNames.MaxNodes)
        {
            problems.Add($"A lab has 1–{LabNames.MaxNodes} nodes; {NodeNames.Count} were asked for.");
        }

        foreach (var name in NodeNames.Where(n => !NodeName().IsMatch(n)))
        {
            problems.Add($"Node name '{name}' is invalid: use 1–40 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS label, as Kubernetes requires of node names).");
        }

        foreach (var name in NodeNames.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            problems.Add($"Node name '{name}' is given more than once.");
        }

        if (!InterfaceName().IsMatch(Interface) || Interface == "lo")
        {
            problems.Add($"Interface name '{Interface}' is invalid: use 1–{LabNames.InterfaceNameLimit} letters, digits, '-', '_' or '.', and not 'lo'.");
        }

        if (K3sRuntime && NodeNames.Count - LoadBalancers - EtcdNodes < 3)
        {
            problems.Add($"The lab's K3s is an HA cluster of 3 servers (the K3s plan's shape); {NodeNames.Count - LoadBalancers - EtcdNodes} cluster nodes were asked for.");
        }

        if (EtcdNodes < 0 || (EtcdNodes > 0 && !K3sRuntime))
        {
            problems.Add(EtcdNodes < 0
                ? $"{EtcdNodes} etcd nodes is invalid: give 0 or more."
                : "External etcd nodes are the datastore of the lab's K3s servers: they need the K3s plan (--k3s).");
        }

        if (LoadBalancers < 0 || (LoadBalancers > 0 && (!K3sRuntime || ControlPlaneVip != Inventory.VipProvider.Keepalived)))
        {
            problems.Add(LoadBalancers < 0
                ? $"{LoadBalancers} load-balancer nodes is invalid: give 0 or more."
                : "Load-balancer nodes run keepalived + HAProxy in front of the lab's K3s: they need the K3s plan with keepalived (--k3s --vip keepalived).");
        }

        var kv = KubeVip;
        if (ControlPlaneVip == Inventory.VipProvider.KubeVip && (kv.RenewDeadline >= kv.LeaseDuration || kv.RenewDeadline.TotalSeconds <= 1.2 * kv.RetryPeriod.TotalSeconds
            || kv.RetryPeriod < TimeSpan.FromSeconds(1) || kv.LeaseDuration.TotalSeconds % 1 != 0 || kv.RenewDeadline.TotalSeconds % 1 != 0 || kv.RetryPeriod.TotalSeconds % 1 != 0))
        {
            problems.Add($"kube-vip's timings {Seconds(kv.LeaseDuration)}/{Seconds(kv.RenewDeadline)}/{Seconds(kv.RetryPeriod)} are invalid: whole seconds (kube-vip takes seconds), and leaseDuration > renewDeadline > 1.2 x retryPeriod >= 1.2 s (client-go's leader election refuses anything else).");
        }

        return problems;
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s";

    /// <exception cref="ChaosEdgeException">The shape is invalid; the message lists every problem.</exception>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new ChaosEdgeException("The lab's shape is invalid: " + string.Join(" ", problems));
        }
    }

    /// <summary>Whether <paramref name="other"/> names the same nodes, in the same order, on the same interface.</summary>
    public bool SameAs(LabShape other) =>
        other is not null && Interface == other.Interface && NodeNames.SequenceEqual(other.NodeNames, StringComparer.Ordinal);

    /// <summary><c>3 nodes (n100-1, n100-2, n100-3) on enp1s0</c>.</summary>
    public override string ToString() => $"{NodeCount} nodes ({string.Join(", ", NodeNames)}) on {Interface}{(EtcdNodes > 0 ? $", {EtcdNodes} etcd nodes" : string.Empty)}{(LoadBalancers > 0 ? $", the last {LoadBalancers} load balancers" : string.Empty)}";

    /// <summary>Whether <paramref name="other"/> puts the control-plane VIP on the same provider with the same settings.</summary>
    public bool SameVipAs(LabShape other) => other is not null && ControlPlaneVip == other.ControlPlaneVip && (ControlPlaneVip != Inventory.VipProvider.KubeVip || KubeVip == other.KubeVip);

    [GeneratedRegex("^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NodeName();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$", RegexOptions.CultureInvariant)]
    private static partial Regex InterfaceName();
}
