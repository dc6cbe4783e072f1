namespace ChaosEdge.Inventory;

/// <summary>What the provisioner installs on the nodes (the inventory's <c>cluster.runtime</c>).</summary>
public enum ClusterRuntime
{
    /// <summary>Real K3s (the default): from the artifacts directory, or a pinned online install.</summary>
    K3s,

    /// <summary>The virtual lab's k3s-shaped node runtime (<c>ce-k3s</c>); <c>lab up</c> writes inventories with it.</summary>
    Lab,
}

/// <summary>How K3s is installed: from the artifacts directory (air-gapped), or downloaded by K3s's install script.</summary>
public enum K3sInstallSource
{
    /// <summary>Binary, install script and image tarballs from the inventory's <c>artifacts:</c> directory, checksums verified.</summary>
    Airgap,

    /// <summary><c>https://get.k3s.io</c> with <c>INSTALL_K3S_VERSION</c> pinned; needs the nodes to reach the internet.</summary>
    Online,
}

/// <summary>What holds the control-plane VIP on a real K3s cluster.</summary>
public enum VipProvider
{
    /// <summary>kube-vip in ARP mode with leader election, as a DaemonSet auto-deployed by K3s (default).</summary>
    KubeVip,

    /// <summary>keepalived (VRRP) on every server, with HAProxy on the VIP's port in front of the servers' API servers.</summary>
    Keepalived,
}

/// <summary>The inventory's <c>k3s:</c> block: what a real K3s cluster is built from.</summary>
/// <param name="Version">The K3s release, such as <c>v1.36.1+k3s1</c>; checked against <c>k3s --version</c> on every node.</param>
/// <param name="Install">Air-gapped (default) or online.</param>
/// <param name="Token">The cluster token's source; <c>null</c>: generated once and kept next to the inventory (<c>cluster-token</c>, mode 0600).</param>
/// <param name="Vip">What holds the control-plane VIP.</param>
/// <param name="KubeVip">kube-vip's image and leader-election timings.</param>
/// <param name="Longhorn">Longhorn's settings, or <c>null</c> to leave storage out.</param>
/// <param name="SampleImage">The image of the sample workload behind the LoadBalancer service (busybox <c>httpd</c>); default the busybox K3s's air-gap images carry.</param>
public sealed record K3sSettings(string Version, K3sInstallSource Install, Secrets.SecretReference? Token, VipProvider Vip, KubeVipSettings KubeVip, LonghornSettings? Longhorn, string SampleImage)
{
    /// <summary>
    /// A busybox image of the kind K3s's air-gap tarball carries, so the sample needs nothing extra; the tag is not
    /// checked against a release's <c>k3s-images.txt</c>: set <c>k3s.sampleImage</c> to the one it lists.
    /// </summary>
    public const string DefaultSampleImage = "rancher/mirrored-library-busybox:1.36.1";

    /// <summary>What the virtual lab takes of the block: the control-plane VIP's provider; the lab's node runtime is no K3s release.</summary>
    public const string LabVersion = "lab";

    /// <summary>
    /// The K3s release the virtual lab's own <c>k3s</c> models (its packaged manifests, flags and defaults), and what its
    /// <c>k3s --version</c> prints; a <c>runtime: k3s</c> inventory of lab nodes names it as its <c>k3s.version</c>.
    /// </summary>
    public const string LabRelease = "v1.36.1+k3s1";

    /// <summary>The settings of a lab inventory (<c>cluster.runtime: lab</c>), which names only <c>vip</c> and <c>kubeVip</c>.</summary>
    public static K3sSettings ForLab(VipProvider vip, KubeVipSettings kubeVip) => new(LabVersion, K3sInstallSource.Airgap, null, vip, kubeVip, null, DefaultSampleImage);
}

/// <summary>kube-vip's image and the leader election of the control-plane VIP.</summary>
/// <param name="Image">Image reference; it must be in an image tarball of the artifacts directory when air-gapped.</param>
/// <param name="LeaseDuration"><c>vip_leaseduration</c>: how long a lease is held without renewal before another node may take the VIP. Default 5 s.</param>
/// <param name="RenewDeadline"><c>vip_renewdeadline</c>: how long the holder keeps retrying a renewal before it gives the VIP up. Default 3 s.</param>
/// <param name="RetryPeriod"><c>vip_retryperiod</c>: how often candidates try to acquire or renew. Default 1 s.</param>
public sealed record KubeVipSettings(string Image, TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod)
{
    /// <summary>
    /// kube-vip v1.2.3's image and its own defaults (<c>--leaseDuration 5</c>, <c>--leaseRenewDuration 3</c>,
    /// <c>--leaseRetry 1</c> in kube-vip's <c>cmd/kube-vip.go</c>): lease 5 s, renew deadline 3 s, retry period 1 s.
    /// (15 s / 10 s / 2 s are client-go's and kube-controller-manager's leader-election defaults, not kube-vip's.)
    /// </summary>
    public static KubeVipSettings Default { get; } = new("ghcr.io/kube-vip/kube-vip:v1.2.3", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1));
}

/// <summary>Longhorn's settings.</summary>
/// <param name="Replicas">The default replica count of new volumes (Longhorn's <c>default-replica-count</c>, default 3).</param>
/// <param name="DataPath">Where replicas live on each node (Longhorn's <c>default-data-path</c>, default <c>/var/lib/longhorn</c>).</param>
public sealed record LonghornSettings(int Replicas, string DataPath)
{
    public static LonghornSettings Default { get; } = new(3, "/var/lib/longhorn");
}
