namespace ChaosEdge.Inventory;

/// <summary>
/// How the cluster is built and how fast it reacts, from the inventory's <c>cluster:</c> block. Defaults are those of
/// K3s, Kubernetes and keepalived.
/// </summary>
/// <param name="NodeMonitorGracePeriod">kube-controller-manager <c>node-monitor-grace-period</c>: a node whose lease is older turns NotReady. Default 40 s.</param>
/// <param name="PodEvictionTimeout">The default toleration of NotReady/unreachable nodes before pods are evicted (kube-apiserver <c>default-*-toleration-seconds</c>). Default 300 s.</param>
/// <param name="Keepalived">VRRP timers of the control-plane VIP.</param>
/// <param name="Dns">Shape of the cluster DNS.</param>
public sealed record ClusterSettings(TimeSpan NodeMonitorGracePeriod, TimeSpan PodEvictionTimeout, KeepalivedSettings Keepalived, DnsSettings Dns)
{
    public static ClusterSettings Default { get; } = new(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(300), KeepalivedSettings.Default, DnsSettings.Default);

    /// <summary>
    /// The kubelet's node lease duration (<c>nodeLeaseDurationSeconds</c>, default 40 s); the kubelet renews the lease every
    /// quarter of it, so node-monitor-grace-period must cover at least two renewals.
    /// </summary>
    public TimeSpan NodeLeaseDuration { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// The inventory says its server count is meant to be what it is although it weakens etcd's quorum (2 servers: no
    /// failure tolerated; an even count: no more tolerance than one server fewer) — a split-brain test lab, say. Without
    /// it such an inventory loads with a warning.
    /// </summary>
    public bool QuorumRiskAccepted { get; init; }

    /// <summary>What the provisioner installs: real K3s (default) or the virtual lab's node runtime (<c>cluster.runtime: lab</c>).</summary>
    public ClusterRuntime Runtime { get; init; }

    /// <summary>
    /// The service CIDR (K3s's <c>service-cidr</c>, <c>cluster.serviceCidr</c>): K3s's default <c>10.43.0.0/16</c>; on the
    /// virtual lab <c>198.19.0.0/16</c>, inside the lab's own address block, whichever runtime it runs.
    /// </summary>
    public System.Net.IPNetwork ServiceCidr => ServiceCidrSetting ?? (Runtime == ClusterRuntime.Lab ? LabServiceCidr : K3sServiceCidr);

    /// <summary>The service CIDR the inventory sets (<c>cluster.serviceCidr</c>), or <c>null</c> for the runtime's default.</summary>
    public System.Net.IPNetwork? ServiceCidrSetting { get; init; }

    /// <summary>The cluster DNS service's address: the tenth of the service CIDR, as K3s's <c>cluster-dns</c> default (10.43.0.10).</summary>
    public System.Net.IPAddress DnsServiceIp => DnsServiceIpOf(ServiceCidr);

    public static System.Net.IPNetwork K3sServiceCidr { get; } = System.Net.IPNetwork.Parse("10.43.0.0/16");

    public static System.Net.IPNetwork LabServiceCidr { get; } = System.Net.IPNetwork.Parse("198.19.0.0/16");

    public static System.Net.IPAddress K3sDnsServiceIp { get; } = DnsServiceIpOf(K3sServiceCidr);

    public static System.Net.IPAddress LabDnsServiceIp { get; } = DnsServiceIpOf(LabServiceCidr);

    private static System.Net.IPAddress DnsServiceIpOf(System.Net.IPNetwork cidr)
    {
        var bytes = cidr.BaseAddress.GetAddressBytes();
        bytes[3] += 10;
        return new System.Net.IPAddress(bytes);
    }

    /// <summary>How often the kubelet renews a lease of <paramref name="leaseDuration"/>: a quarter of it, as the kubelet does.</summary>
    public static TimeSpan RenewInterval(TimeSpan leaseDuration) => leaseDuration / 4;
}

/// <summary>keepalived's VRRP settings for the VIPs.</summary>
/// <param name="AdvertInterval">Seconds between adverts, 1–255 (keepalived's default 1).</param>
/// <param name="Priority">Priority of the first server, 1–254 (default 100); each next server is 10 lower.</param>
/// <param name="Preempt">Whether a higher-priority node takes the VIP back when it returns (keepalived's default: yes).</param>
public sealed record KeepalivedSettings(int AdvertInterval, int Priority, bool Preempt)
{
    public static KeepalivedSettings Default { get; } = new(1, 100, true);
}

/// <summary>The cluster DNS: K3s's default is one replica; the HA shape is several, spread by anti-affinity, with a PodDisruptionBudget.</summary>
public sealed record DnsSettings(int Replicas, bool AntiAffinity, bool PodDisruptionBudget)
{
    public static DnsSettings Default { get; } = new(1, false, false);
}
