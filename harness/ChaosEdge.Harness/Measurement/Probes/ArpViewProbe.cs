using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using ChaosEdge.Errors;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Network;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// The switch's view of a VIP: which MAC answers for it. Every 100 ms the harness asks the segment from its interface on
/// the VIP's network and collects, until the next request, every reply to it: two MACs answering one request are two
/// holders at that instant. It asks as an ARP probe (RFC 5227: sender address 0.0.0.0) from a MAC of its own that no host has: the
/// answers go to that MAC, which every kernel on the segment, the harness's too, ignores, and a probe's sender is
/// learned by nobody; so asking changes no ARP cache — the harness's own probes still see only what the cluster
/// announces. That MAC joins the interface's unicast filter while the view runs (a bridge, which has none, turns
/// promiscuous meanwhile). Each sample's <see cref="Sample.Detail"/> is the bit set
/// of the nodes whose MACs answered (bit i = <see cref="ProbeSeries.Owners"/>[i]; the last owner, <c>other</c>, is a MAC
/// of no node), so two MACs answering at once (MetalLB issue #598) is a measured duration, as for <c>vip-owner</c>; no
/// answer is a failed sample. One thread and one raw socket per VIP, no process; it needs CAP_NET_RAW.
/// </summary>
public sealed class ArpViewProbe : IStartableProbe
{
    private readonly IPAddress vip;
    private readonly IReadOnlyList<(INodeShell Shell, string Interface)> nodes;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource firstWindow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The view's own MAC: locally administered, unicast, on no host.</summary>
    internal static readonly byte[] ViewMac = [0x02, 0xce, 0xa4, 0x70, 0x00, 0x01];
    private Thread? asker;
    private int answered;
    private int latency;

    public ArpViewProbe(string name, IPAddress vip, IReadOnlyList<(INodeShell Shell, string Interface)> nodes, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count > 15)
        {
            throw new ArgumentException("The ARP view follows at most 15 nodes (and 'other').", nameof(nodes));
        }

        this.vip = vip;
        this.nodes = nodes;
        var cadence = interval ?? TimeSpan.FromMilliseconds(100);
        Series = new ProbeSeries(name, ProbeKinds.VipOwner, $"ARP for {vip} on the switch", cadence, cadence)
        {
            Owners = [.. nodes.Select(n => n.Shell.NodeName), "other"],
        };
    }

    public ProbeSeries Series { get; }

    /// <summary>Finds the harness's interface on the VIP's network, reads every node's MAC, and starts asking.</summary>
    /// <exception cref="ChaosEdgeException">The harness has no interface on the VIP's network, or a node's MAC cannot be read.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var (interfaceName, _) = LocalInterface(vip)
            ?? throw new ChaosEdgeException($"The harness has no interface on the network of {vip}; the ARP view asks the switch from there.");
        var macs = new List<byte[]>();
        foreach (var (shell, nic) in nodes)
        {
            var result = await shell.RunCheckedAsync($"cat /sys/class/net/{ShellQuote.Quote(nic)}/address", cancellationToken: cancellationToken).ConfigureAwait(false);
            macs.Add(PhysicalAddress.Parse(result.Stdout.Trim().Replace(':', '-')).GetAddressBytes());
        }

        var socket = new ArpSocket(interfaceName, receive: true, receiveTimeout: TimeSpan.FromMilliseconds(10));
        try
        {
            socket.ReceiveFor(ViewMac);
        }
        catch (InvalidOperationException e)
        {
            socket.Dispose();
            throw new ChaosEdgeException($"The ARP view cannot listen on '{interfaceName}': {e.Message}", e);
        }

        asker = new Thread(() => Ask(socket, macs)) { IsBackground = true, Name = $"chaosedge arp view {vip}" };
        asker.Start();
        await firstWindow.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        var set = Volatile.Read(ref answered);
        return ValueTask.FromResult(new Sample(sentAt, Volatile.Read(ref latency), set == 0 ? ProbeOutcome.Timeout : ProbeOutcome.Success, (ushort)set));
    }

    public ValueTask DisposeAsync()
    {
        stop.Cancel();
        asker?.Join(TimeSpan.FromSeconds(2));
        stop.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The window loop: a request, then every answer until the next one; the set published at the window's end.</summary>
    private void Ask(ArpSocket socket, List<byte[]> macs)
    {
        using (socket)
        {
            var buffer = new byte[128];
            var request = ArpSocket.Frame(ViewMac, 1, IPAddress.Any, new byte[6], vip, ArpSocket.Broadcast);
            var window = Series.Interval;
            while (!stop.IsCancellationRequested)
            {
                var started = TimeProvider.System.GetTimestamp();
                var set = 0;
                var first = 0;
                try
                {
                    socket.Send(request, ArpSocket.Broadcast);
                }
                catch (InvalidOperationException)
                {
                    // A send that fails (the bridge going away) leaves the window empty: no answer is what it measures.
                }

                while (TimeProvider.System.GetElapsedTime(started) < window && !stop.IsCancellationRequested)
                {
                    var length = socket.Receive(buffer);
                    if (length >= 42 && Answer(buffer.AsSpan(0, length), vip) is { } mac)
                    {
                        var index = macs.FindIndex(m => m.AsSpan().SequenceEqual(mac));
                        set |= 1 << (index >= 0 ? index : macs.Count);
                        first = first == 0 ? (int)Math.Max(1, TimeProvider.System.GetElapsedTime(started).TotalMicroseconds) : first;
                    }
                }

                Volatile.Write(ref latency, first);
                Volatile.Write(ref answered, set);
                firstWindow.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The sender MAC of a reply from <paramref name="address"/> to the view's own probe (target MAC
    /// <see cref="ViewMac"/>); null for anything else. Gratuitous ARP does not count: a new holder's announcement in the
    /// same window as the old holder's last answer is a handover, not two holders; two answers to one probe are.
    /// </summary>
    internal static byte[]? Answer(ReadOnlySpan<byte> frame, IPAddress address)
    {
        if (frame.Length < 42 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0806 || BinaryPrimitives.ReadUInt16BigEndian(frame[20..]) != 2)
        {
            return null;
        }

        return new IPAddress(frame.Slice(28, 4)).Equals(address) && frame.Slice(32, 6).SequenceEqual(ViewMac) ? frame.Slice(22, 6).ToArray() : null;
    }

    /// <summary>The harness's interface whose IPv4 network holds <paramref name="address"/>, and its own address there.</summary>
    private static (string Interface, IPAddress Source)? LocalInterface(IPAddress address)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback))
        {
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses.Where(u => u.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            {
                if (Network(unicast.Address, unicast.PrefixLength).Contains(address) && !unicast.Address.Equals(address))
                {
                    return (nic.Name, unicast.Address);
                }
            }
        }

        return null;
    }

    private static IPNetwork Network(IPAddress address, int prefix)
    {
        var bits = BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, bits & mask);
        return new IPNetwork(new IPAddress(bytes), prefix);
    }
}
