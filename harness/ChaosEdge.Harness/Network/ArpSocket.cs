using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace ChaosEdge.Network;

/// <summary>
/// A raw <c>AF_PACKET</c> socket for ARP on one interface (the kernel and libc, nothing else): builds and sends ARP
/// frames from the interface's MAC, and, when bound, reads the ARP frames the interface sees. kube-vip's model uses it
/// for gratuitous ARP (<c>pkg/arp</c>), MetalLB's speaker model to answer for addresses on no interface
/// (<c>internal/layer2/arp.go</c>), and the harness's ARP view to ask who answers for each VIP.
/// </summary>
public sealed class ArpSocket : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const ushort EthPArp = 0x0806;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int SolPacket = 263;
    private const int PacketAddMembership = 1;

    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private readonly int socket;
    private readonly int index;

    /// <param name="interfaceName">The interface.</param>
    /// <param name="receive">Bind to the interface to read its ARP frames, each read waking at least every <paramref name="receiveTimeout"/>.</param>
    /// <param name="receiveTimeout">How long one read waits at most; default 250 ms.</param>
    public ArpSocket(string interfaceName, bool receive, TimeSpan? receiveTimeout = null)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new InvalidOperationException($"interface '{interfaceName}' does not exist on this node.");
        Mac = nic.GetPhysicalAddress().GetAddressBytes();
        if (Mac.Length != 6)
        {
            throw new InvalidOperationException($"interface '{interfaceName}' has no Ethernet address.");
        }

        index = nic.GetIPProperties().GetIPv4Properties().Index;
        socket = NativeSocket(AfPacket, SockRaw, BinaryPrimitives.ReverseEndianness(EthPArp));
        if (socket < 0)
        {
            throw new InvalidOperationException($"a raw packet socket could not be opened (errno {Marshal.GetLastPInvokeError()}); ARP needs CAP_NET_RAW.");
        }

        if (receive)
        {
            if (Bind(socket, Address(null), 20) < 0)
            {
                throw new InvalidOperationException($"the raw packet socket could not be bound to '{interfaceName}' (errno {Marshal.GetLastPInvokeError()}).");
            }

            var timeout = new byte[16];
            var wait = (long)(receiveTimeout ?? TimeSpan.FromMilliseconds(250)).TotalMicroseconds;
            BinaryPrimitives.WriteInt64LittleEndian(timeout, wait / 1_000_000);
            BinaryPrimitives.WriteInt64LittleEndian(timeout.AsSpan(8), wait % 1_000_000);
            _ = SetSockOpt(socket, SolSocket, SoRcvTimeo, timeout, timeout.Length);
        }
    }

    /// <summary>The interface's MAC.</summary>
    public byte[] Mac { get; }

    /// <summary>An ARP frame from this interface: <paramref name="operation"/> 1 (request) or 2 (reply).</summary>
    public byte[] Frame(ushort operation, IPAddress sender, byte[] targetMac, IPAddress targetIp, byte[] destination) =>
        Frame(Mac, operation, sender, targetMac, targetIp, destination);

    /// <summary>An ARP frame from <paramref name="source"/> (Ethernet source and sender MAC), not necessarily this interface's.</summary>
    public static byte[] Frame(byte[] source, ushort operation, IPAddress sender, byte[] targetMac, IPAddress targetIp, byte[] destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(targetMac);
        ArgumentNullException.ThrowIfNull(targetIp);
        ArgumentNullException.ThrowIfNull(destination);
        var frame = new byte[42];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EthPArp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);          // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);     // protocol: IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), operation);
        source.CopyTo(frame, 22);
        sender.GetAddressBytes().CopyTo(frame, 28);
        targetMac.CopyTo(frame, 32);
        targetIp.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    /// <summary>
    /// A gratuitous ARP frame for <paramref name="address"/>, broadcast: sender and target address both the address; a
    /// reply names the broadcast MAC as target (as kube-vip sends it), a request none.
    /// </summary>
    public void SendGratuitous(IPAddress address, bool reply) =>
        Send(Frame(reply ? (ushort)2 : (ushort)1, address, reply ? Broadcast : new byte[6], address, Broadcast), Broadcast);

    public void Send(byte[] frame, byte[] destination)
    {
        var address = Address(destination);
        if (SendTo(socket, frame, frame.Length, 0, address, address.Length) < 0)
        {
            throw new InvalidOperationException($"an ARP frame could not be sent (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Reads one frame into <paramref name="buffer"/>; its length, or a negative number when none came in time.</summary>
    public int Receive(byte[] buffer)
    {
        var from = new byte[20];
        var length = from.Length;
        return (int)RecvFrom(socket, buffer, buffer.Length, 0, from, ref length);
    }

    /// <summary>
    /// Receives frames sent to <paramref name="mac"/> too, for as long as this socket is open (<c>PACKET_MR_UNICAST</c>:
    /// the address joins the interface's unicast filter; an interface without one, such as a bridge, turns promiscuous).
    /// The interface's kernel ignores such frames (they are not for its own MAC); this socket reads them.
    /// </summary>
    public void ReceiveFor(byte[] mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        // struct packet_mreq: int mr_ifindex; unsigned short mr_type, mr_alen; unsigned char mr_address[8].
        var request = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(request, index);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), 6);
        mac.CopyTo(request, 8);
        if (SetSockOpt(socket, SolPacket, PacketAddMembership, request, request.Length) < 0)
        {
            throw new InvalidOperationException($"the raw packet socket could not receive for another MAC (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public void Dispose() => Close(socket);

    /// <summary>struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].</summary>
    private byte[] Address(byte[]? destination)
    {
        var address = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfPacket);
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), EthPArp);
        BinaryPrimitives.WriteInt32LittleEndian(address.AsSpan(4), index);
        if (destination is not null)
        {
            address[11] = 6;
            destination.CopyTo(address, 12);
        }

        return address;
    }

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static extern int NativeSocket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static extern int Bind(int fd, byte[] address, int addressLength);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static extern int SetSockOpt(int fd, int level, int name, byte[] value, int length);

    [DllImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static extern nint SendTo(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);

    [DllImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static extern nint RecvFrom(int fd, byte[] buffer, nint length, int flags, byte[] address, ref int addressLength);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
