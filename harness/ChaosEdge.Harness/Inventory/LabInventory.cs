using System.Net;

namespace ChaosEdge.Inventory;

/// <summary>
/// One lab, as described by its inventory file (<c>lab.yaml</c>). Built only by <see cref="InventoryLoader"/>, so an
/// instance is always valid: every path is absolute and exists, every address parses and lies in <see cref="Subnet"/>.
/// </summary>
/// <param name="SourcePath">The inventory file, absolute.</param>
/// <param name="ClusterName">Name of the cluster, a DNS label.</param>
/// <param name="Subnet">The nodes' network; all node addresses and VIPs lie in it.</param>
/// <param name="Nodes">The nodes, in file order.</param>
/// <param name="ControlPlane">The control-plane virtual IP.</param>
/// <param name="ServiceVipPool">Addresses service VIPs (MetalLB's pool) are taken from, in file order.</param>
/// <param name="SlaPath">The SLA file, absolute, or <c>null</c> for the shipped defaults.</param>
/// <param name="ArtifactsPath">The artifacts directory, absolute, or <c>null</c>.</param>
public sealed record LabInventory(
    string SourcePath,
    string ClusterName,
    IPNetwork Subnet,
    IReadOnlyList<NodeSpec> Nodes,
    ControlPlaneSpec ControlPlane,
    IReadOnlyList<IPAddress> ServiceVipPool,
    string? SlaPath,
    string? ArtifactsPath)
{
    /// <summary>Cluster shape and timings (the inventory's <c>cluster:</c> block); K3s's defaults when absent.</summary>
    public ClusterSettings Cluster { get; init; } = ClusterSettings.Default;

    /// <summary>What real K3s is built from (the <c>k3s:</c> block); for the virtual lab's runtime only the control-plane VIP's provider (<see cref="K3sSettings.ForLab"/>), <c>null</c> for its default, keepalived.</summary>
    public K3sSettings? K3s { get; init; }

    /// <summary>
    /// What holds the control-plane VIP, as SLA entries name it (<c>scenario@kube-vip</c>): <c>kube-vip</c>;
    /// <c>keepalived-haproxy</c>, K3s's keepalived tracking HAProxy in front of the API servers (with MetalLB for the
    /// service VIPs); or <c>keepalived</c>, the lab runtime's keepalived tracking each API server.
    /// </summary>
    public string ControlPlaneVipShape => K3s?.Vip == VipProvider.KubeVip ? "kube-vip" : Cluster.Runtime == ClusterRuntime.K3s ? "keepalived-haproxy" : "keepalived";

    /// <summary>
    /// Whether MetalLB announces the service VIPs: always on real K3s (the plan installs it), and on a lab in the example
    /// inventory's stack (kube-vip for the control plane); otherwise the lab's second keepalived does.
    /// </summary>
    public bool ServiceVipsByMetalLb => Cluster.Runtime == ClusterRuntime.K3s || K3s?.Vip == VipProvider.KubeVip;

    /// <summary>What is valid but unwise (an etcd quorum that tolerates no failure, say), each located like a problem.</summary>
    public IReadOnlyList<Errors.ConfigurationProblem> Warnings { get; init; } = [];

    /// <summary>The node with the given name.</summary>
    /// <exception cref="Errors.ChaosEdgeException">No node has that name.</exception>
    public NodeSpec Node(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name)
        ?? throw new Errors.ChaosEdgeException($"Inventory '{SourcePath}' has no node '{name}'; it has {string.Join(", ", Nodes.Select(n => $"'{n.Name}'"))}.");

    /// <summary>The server nodes (those running the control plane and an etcd member).</summary>
    public IEnumerable<NodeSpec> Servers => Nodes.Where(n => n.Role == NodeRole.Server);

    /// <summary>The Kubernetes nodes: servers and agents, in file order (load-balancer and etcd nodes run no K3s).</summary>
    public IEnumerable<NodeSpec> ClusterNodes => Nodes.Where(n => n.Role is NodeRole.Server or NodeRole.Agent);

    /// <summary>The external etcd cluster's members, in file order; none when the servers run etcd (K3s's embedded etcd).</summary>
    public IEnumerable<NodeSpec> EtcdNodes => Nodes.Where(n => n.Role == NodeRole.Etcd);

    /// <summary>Whether the servers keep their data in an external etcd cluster (<see cref="EtcdNodes"/>) rather than an embedded one.</summary>
    public bool ExternalEtcd => EtcdNodes.Any();

    /// <summary>The nodes that run the etcd members: the external etcd nodes when there are any, else the servers.</summary>
    public IEnumerable<NodeSpec> EtcdMembers => ExternalEtcd ? EtcdNodes : Servers;

    /// <summary>The dedicated load-balancer nodes (keepalived + HAProxy), in file order; none when HAProxy runs on the servers.</summary>
    public IEnumerable<NodeSpec> LoadBalancers => Nodes.Where(n => n.Role == NodeRole.LoadBalancer);

    /// <summary>The nodes that may carry the control-plane VIP: the load-balancer nodes when there are any, else the servers.</summary>
    public IEnumerable<NodeSpec> VipCarriers => LoadBalancers.Any() ? LoadBalancers : Servers;
}

/// <summary>What a node runs.</summary>
public enum NodeRole
{
    /// <summary>Control plane and an etcd member (<c>k3s server</c>).</summary>
    Server,

    /// <summary>Workloads only (<c>k3s agent</c>).</summary>
    Agent,

    /// <summary>
    /// A dedicated load balancer in front of the API servers: keepalived holding the control-plane VIP and HAProxy, no
    /// K3s (the kubeadm HA layout's LB pair). Only with <c>k3s.vip: keepalived</c>.
    /// </summary>
    LoadBalancer,

    /// <summary>
    /// A member of an external etcd cluster, the K3s servers' datastore (<c>--datastore-endpoint</c>): etcd alone, no
    /// K3s. With such nodes the servers run no etcd member of their own. Only with real K3s's plan (<c>cluster.runtime: k3s</c>).
    /// </summary>
    Etcd,
}

/// <summary>One node of the lab.</summary>
/// <param name="Name">Node name, a DNS label, unique in the lab.</param>
/// <param name="Address">Address on the lab network, unique in the lab.</param>
/// <param name="Role">Server (default), agent or load balancer.</param>
/// <param name="Interface">The primary network interface, such as <c>eth0</c> or <c>enp1s0</c>.</param>
/// <param name="Ssh">How to reach the node.</param>
/// <param name="Bmc">The node's baseboard management controller, if it has one.</param>
public sealed record NodeSpec(string Name, IPAddress Address, NodeRole Role, string Interface, SshSpec Ssh, BmcSpec? Bmc);

/// <summary>SSH access to a node. Exactly one way of verifying the host key is set.</summary>
/// <param name="User">Login user; <c>root</c> by default.</param>
/// <param name="Port">TCP port, 1–65535; 22 by default.</param>
/// <param name="PrivateKeyPath">Private key file, absolute.</param>
/// <param name="HostKeyFingerprint">Pinned host-key fingerprint (<c>SHA256:…</c>, as <c>ssh-keygen -lf</c> prints it).</param>
/// <param name="KnownHostsPath">A known_hosts file to verify against, absolute.</param>
/// <param name="TrustOnFirstUse">Accept an unknown host key once and record it in <paramref name="KnownHostsPath"/>.</param>
public sealed record SshSpec(string User, int Port, string PrivateKeyPath, string? HostKeyFingerprint, string? KnownHostsPath, bool TrustOnFirstUse)
{
    /// <summary>The jump host (bastion) the node is reached through, or <c>null</c> to connect directly.</summary>
    public JumpHostSpec? JumpHost { get; init; }
}

/// <summary>A jump host (bastion): the node's SSH port is reached through a forwarded channel on a connection to it.</summary>
/// <param name="Host">The jump host's address or DNS name.</param>
/// <param name="Ssh">How to log in to the jump host and verify its host key (its own <c>JumpHost</c> is not used).</param>
public sealed record JumpHostSpec(string Host, SshSpec Ssh);

/// <summary>Which protocol a BMC speaks.</summary>
public enum BmcKind
{
    /// <summary>IPMI over LAN (<c>ipmitool -I lanplus</c>).</summary>
    Ipmi,

    /// <summary>DMTF Redfish over HTTPS.</summary>
    Redfish,
}

/// <summary>A node's baseboard management controller.</summary>
/// <param name="Kind">IPMI or Redfish.</param>
/// <param name="Address">The BMC's management address.</param>
/// <param name="Username">Login user.</param>
/// <param name="Password">Where the password comes from; never the password itself.</param>
public sealed record BmcSpec(BmcKind Kind, IPAddress Address, string Username, Secrets.SecretReference Password)
{
    /// <summary>IPMI: the RMCP+ cipher suite (<c>ipmitool -C</c>), 17 by default (HMAC-SHA256, AES-CBC-128).</summary>
    public int CipherSuite { get; init; } = 17;

    /// <summary>Redfish: the CA file that verifies the BMC's HTTPS certificate, absolute; <c>null</c> for the system's trust store.</summary>
    public string? CaCertificatePath { get; init; }
}

/// <summary>The control-plane virtual IP.</summary>
/// <param name="Vip">The address clients use for the API server.</param>
/// <param name="Port">The API server port; 6443 by default.</param>
public sealed record ControlPlaneSpec(IPAddress Vip, int Port);
