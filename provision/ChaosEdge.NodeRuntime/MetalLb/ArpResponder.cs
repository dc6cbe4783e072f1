using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using ChaosEdge.Network;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary>
/// Answers ARP requests for addresses that are on no interface, as MetalLB's layer-2 speaker does
/// (<c>internal/layer2/arp.go</c>): an <see cref="ArpSocket"/> bound to the node's interface reads every ARP frame; a
/// request (opcode 1) for an address this node announces gets a reply from this node's MAC, sent to the asker. The
/// kernel does not answer for such addresses, so whichever node answers is the one the clients send to. Also sends
/// MetalLB's gratuitous ARP on taking an address over (a request and a reply, broadcast).
/// </summary>
internal sealed class ArpResponder : IDisposable
{
    private readonly ArpSocket socket;
    private readonly ConcurrentDictionary<IPAddress, byte> announced = new();
    private readonly Thread reader;
    private readonly ILogger logger;
    private volatile bool stopping;

    public ArpResponder(string interfaceName, ILogger logger)
    {
        this.logger = logger;
        socket = new ArpSocket(interfaceName, receive: true);
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
        foreach (var operation in new ushort[] { 1, 2 })
        {
            socket.Send(socket.Frame(operation, address, ArpSocket.Broadcast, address, ArpSocket.Broadcast), ArpSocket.Broadcast);
        }
    }

    public void Dispose()
    {
        stopping = true;
        reader.Join(TimeSpan.FromSeconds(2));
        socket.Dispose();
    }

    private void Read()
    {
        var buffer = new byte[1600];
        while (!stopping)
        {
            var n = socket.Receive(buffer);
            if (n < 42 || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(12)) != 0x0806 || BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(20)) != 1
                || buffer.AsSpan(6, 6).SequenceEqual(socket.Mac))
            {
                continue;
            }

            var target = new IPAddress(buffer.AsSpan(38, 4));
            if (!announced.ContainsKey(target))
            {
                continue;
            }

            var askerMac = buffer.AsSpan(22, 6).ToArray();
            try
            {
                socket.Send(socket.Frame(2, target, askerMac, new IPAddress(buffer.AsSpan(28, 4)), askerMac), askerMac);
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("{Error}", e.Message);
            }
        }
    }
}
