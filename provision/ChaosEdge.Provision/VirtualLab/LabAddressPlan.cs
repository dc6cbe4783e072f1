using System.Globalization;
using System.Net;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// Where a lab's addresses come from. All lie in 198.18.0.0/15, reserved for network benchmarking (RFC 2544), so a
/// lab never collides with a site's real networks. Slot <c>s</c> owns 198.18.s.0/24 for nodes and VIPs and
/// 198.18.(128+s).0/24 for the nodes' BMCs.
/// </summary>
public sealed class LabAddressPlan(int slot)
{
    /// <summary>Number of labs that can exist side by side.</summary>
    public const int MaxSlots = 128;

    /// <summary>The whole lab range; it gets an unreachable route so no lab traffic can leave the machine.</summary>
    public static IPNetwork LabRange { get; } = IPNetwork.Parse("198.18.0.0/15");

    /// <summary>The Kubernetes service range of the lab's clusters (ClusterIPs such as the DNS service's 198.19.0.10).</summary>
    public static IPNetwork ServiceRange { get; } = IPNetwork.Parse("198.19.0.0/16");

    public int Slot { get; } = slot is >= 0 and < MaxSlots ? slot : throw new ArgumentOutOfRangeException(nameof(slot));

    /// <summary>The nodes' network.</summary>
    public IPNetwork Subnet => IPNetwork.Parse($"198.18.{Text(Slot)}.0/24");

    /// <summary>The harness's own address on the lab bridge, like a workstation on the lab switch.</summary>
    public IPAddress Harness => Address(1);

    /// <summary>Node <paramref name="index"/> (1-based) gets .11, .12, …</summary>
    public IPAddress Node(int index) => Address(10 + index);

    /// <summary>The control-plane VIP.</summary>
    public IPAddress ControlPlaneVip => Address(100);

    /// <summary>Service VIPs (MetalLB's pool): .200–.209.</summary>
    public IReadOnlyList<IPAddress> ServiceVipPool => [.. Enumerable.Range(200, 10).Select(Address)];

    /// <summary>A client on the lab switch that is not part of the cluster (a PLC, a SCADA host): .250.</summary>
    public IPAddress Client => Address(250);

    /// <summary>The BMCs' management network.</summary>
    public IPNetwork ManagementSubnet => IPNetwork.Parse($"198.18.{Text(MaxSlots + Slot)}.0/24");

    /// <summary>BMC of node <paramref name="index"/> (1-based).</summary>
    public IPAddress Bmc(int index) => IPAddress.Parse($"198.18.{Text(MaxSlots + Slot)}.{Text(10 + index)}");

    private IPAddress Address(int host) => IPAddress.Parse($"198.18.{Text(Slot)}.{Text(host)}");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
