using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace ChaosEdge.NodeRuntime.KubeVip;

/// <summary>
/// Sends gratuitous ARP for an address from one interface, through a raw <c>AF_PACKET</c> socket (the kernel and libc,
/// nothing else): a broadcast ARP frame whose sender and target protocol address are both the VIP and whose sender
/// hardware address is the interface's MAC, so every neighbour that already has an entry for the VIP updates it.
/// kube-vip sends the same frame (<c>pkg/arp</c>); <see cref="Send"/> sends it as a reply (opcode 2, as kube-vip
/// does) or as a request (opcode 1, as MetalLB also does).
/// </summary>
internal sealed class GratuitousArp : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const ushort EthPArp = 0x0806;

    private readonly int socket;
    private readonly byte[] address;
    private readonly byte[] mac;

    public GratuitousArp(string interfaceName)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new InvalidOperationException($"interface '{interfaceName}' does not exist on this node.");
        mac = nic.GetPhysicalAddress().GetAddressBytes();
        if (mac.Length != 6)
        {
            throw new InvalidOperationException($"interface '{interfaceName}' has no Ethernet address.");
        }

        var index = nic.GetIPProperties().GetIPv4Properties().Index;
        socket = NativeSocket(AfPacket, SockRaw, BinaryPrimitives.ReverseEndianness(EthPArp));
        if (socket < 0)
        {
            throw new InvalidOperationException($"a raw packet socket could not be opened (errno {Marshal.GetLastPInvokeError()}); gratuitous ARP needs CAP_NET_RAW.");
        }

        // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].
        address = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfPacket);
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), EthPArp);
        BinaryPrimitives.WriteInt32LittleEndian(address.AsSpan(4), index);
        address[11] = 6;
        address.AsSpan(12, 6).Fill(0xff);
    }

    /// <summary>The interface's MAC, as <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public string Mac => string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>One gratuitous ARP frame for <paramref name="vip"/>: a reply (<paramref name="reply"/>) or a request.</summary>
    public void Send(IPAddress vip, bool reply)
    {
        ArgumentNullException.ThrowIfNull(vip);
        var ip = vip.GetAddressBytes();
        var frame = new byte[42];
        frame.AsSpan(0, 6).Fill(0xff);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EthPArp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);          // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);     // protocol: IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), reply ? (ushort)2 : (ushort)1);
        mac.CopyTo(frame, 22);
        ip.CopyTo(frame, 28);
        if (reply)
        {
            frame.AsSpan(32, 6).Fill(0xff);
        }

        ip.CopyTo(frame, 38);
        if (SendTo(socket, frame, frame.Length, 0, address, address.Length) < 0)
        {
            throw new InvalidOperationException($"gratuitous ARP for {vip} could not be sent (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public void Dispose() => Close(socket);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static extern int NativeSocket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static extern nint SendTo(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
