using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary>
/// Answers ARP requests for addresses that are on no interface, as MetalLB's layer-2 speaker does
/// (<c>internal/layer2/arp.go</c>): a raw <c>AF_PACKET</c> socket bound to the node's interface reads every ARP frame;
/// a request (opcode 1) for an address this node announces gets a reply from this node's MAC, sent to the asker. The
/// kernel does not answer for such addresses, so whichever node answers is the one the clients send to. Also sends
/// MetalLB's gratuitous ARP on taking an address over (a request and a reply, broadcast).
/// </summary>
internal sealed class ArpResponder : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const ushort EthPArp = 0x0806;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;

    private readonly int socket;
    private readonly byte[] mac;
    private readonly int index;
    private readonly ConcurrentDictionary<IPAddress, byte> announced = new();
    private readonly Thread reader;
    private readonly ILogger logger;
    private volatile bool stopping;

    public ArpResponder(string interfaceName, ILogger logger)
    {
        this.logger = logger;
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new InvalidOperationException($"interface '{interfaceName}' does not exist on this node.");
        mac = nic.GetPhysicalAddress().GetAddressBytes();
        index = nic.GetIPProperties().GetIPv4Properties().Index;
        socket = NativeSocket(AfPacket, SockRaw, BinaryPrimitives.ReverseEndianness(EthPArp));
        if (socket < 0)
        {
            throw new InvalidOperationException($"a raw packet socket could not be opened (errno {Marshal.GetLastPInvokeError()}); answering ARP needs CAP_NET_RAW.");
        }

        if (Bind(socket, Address(null), 20) < 0)
        {
            throw new InvalidOperationException($"the raw packet socket could not be bound to '{interfaceName}' (errno {Marshal.GetLastPInvokeError()}).");
        }

        // A receive wakes at least every 250 ms, so the reader notices Dispose without a signal.
        var timeout = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(timeout.AsSpan(8), 250_000);
        _ = SetSockOpt(socket, SolSocket, SoRcvTimeo, timeout, timeout.Length);
        reader = new Thread(Read) { IsBackground = true, Name = "arp-responder" };
        reader.Start();
    }

    /// <summary>Answers ARP for <paramref name="address"/> from now on.</summary>
    public void Announce(IPAddress address) => announced[address] = 0;

    /// <summary>Stops answering for <paramref name="address"/>.</summary>
    public void Withdraw(IPAddress address) => announced.TryRemove(address, out _);

    /// <summary>The addresses answered for now.</summary>
    public IReadOnlyCollection<IPAddress> Announced => [.. announced.Keys];

    /// <summary>One gratuitous ARP request and one gratuitous reply for <paramref name="address"/>, broadcast.</summary>
    public void SendGratuitous(IPAddress address)
    {
        foreach (var reply in new[] { false, true })
        {
            Send(Frame(reply ? (ushort)2 : (ushort)1, address, Broadcast, address, destination: Broadcast), Broadcast);
        }
    }

    public void Dispose()
    {
        stopping = true;
        reader.Join(TimeSpan.FromSeconds(2));
        Close(socket);
    }

    private static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private void Read()
    {
        var buffer = new byte[1600];
        var from = new byte[20];
        while (!stopping)
        {
            var length = from.Length;
            var n = (int)RecvFrom(socket, buffer, buffer.Length, 0, from, ref length);
            if (n < 42 || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(12)) != EthPArp || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(20)) != 1
                || buffer.AsSpan(6, 6).SequenceEqual(mac))
            {
                continue;
            }

            var target = new IPAddress(buffer.AsSpan(38, 4));
            if (!announced.ContainsKey(target))
            {
                continue;
            }

            var askerMac = buffer.AsSpan(22, 6).ToArray();
            var askerIp = new IPAddress(buffer.AsSpan(28, 4));
            try
            {
                Send(Frame(2, target, askerMac, askerIp, destination: askerMac), askerMac);
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("{Error}", e.Message);
            }
        }
    }

    private byte[] Frame(ushort operation, IPAddress sender, byte[] targetMac, IPAddress targetIp, byte[] destination)
    {
        var frame = new byte[42];
        destination.CopyTo(frame, 0);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EthPArp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), operation);
        mac.CopyTo(frame, 22);
        sender.GetAddressBytes().CopyTo(frame, 28);
        targetMac.CopyTo(frame, 32);
        targetIp.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    private void Send(byte[] frame, byte[] destination)
    {
        var address = Address(destination);
        if (SendTo(socket, frame, frame.Length, 0, address, address.Length) < 0)
        {
            throw new InvalidOperationException($"an ARP frame could not be sent (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

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
