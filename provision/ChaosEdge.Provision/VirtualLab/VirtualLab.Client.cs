using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ChaosEdge.Errors;
using ChaosEdge.Scenarios;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>The namespace of the lab's client: not a valid node name ('_'), so it never meets a node's.</summary>
    private string ClientNamespace => Names.MemberPrefix + "_client";

    /// <summary>The client's host-side link on the bridge (the switch port); node links are numbered.</summary>
    private string ClientLink => Names.MemberPrefix + "c";

    /// <summary>The nftables table of the switch's ARP guard on the client's port (bridge family, on the lab's bridge).</summary>
    private string ArpGuardTable => "ce_arpguard_" + Names.Lab;

    /// <summary>
    /// Puts a client on the lab switch: a network namespace with one interface on the lab bridge at .250, the kernel's
    /// default ARP settings (written out, so another host default cannot change them) and nothing of the cluster — a
    /// PLC or a SCADA host. Its sockets are made in its namespace by a thread that lives there, so the harness probes
    /// from it with no process per sample. Disposing it removes it and its ARP guard; <see cref="DownAsync"/> does too.
    /// </summary>
    /// <exception cref="ChaosEdgeException">The lab is not up.</exception>
    public async Task<ISwitchClient> AttachClientAsync(CancellationToken cancellationToken = default)
    {
        var state = LabState.Read(StatePath) ?? throw new ChaosEdgeException($"Lab '{Names.Lab}' is not up; 'lab up' first.");
        var address = new LabAddressPlan(state.Slot).Client;
        await RemoveClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await HostCommands.IpAsync(cancellationToken, "netns", "add", ClientNamespace).ConfigureAwait(false);
            await HostCommands.IpAsync(cancellationToken, "link", "add", ClientLink, "type", "veth", "peer", "name", "eth0", "netns", ClientNamespace).ConfigureAwait(false);
            await HostCommands.RunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{ClientLink}.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
            await HostCommands.IpAsync(cancellationToken, "link", "set", ClientLink, "master", state.Bridge, "up").ConfigureAwait(false);
            await HostCommands.RunAsync("ip", ["netns", "exec", ClientNamespace, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                // Linux's defaults (net/ipv4/arp.c's arp_tbl): what an untuned client has.
                "net.ipv4.neigh.eth0.base_reachable_time_ms=30000", "net.ipv4.neigh.eth0.delay_first_probe_time=5",
                "net.ipv4.neigh.eth0.ucast_solicit=3", "net.ipv4.neigh.eth0.retrans_time_ms=1000", "net.ipv4.neigh.eth0.mcast_resolicit=0",
                "net.ipv4.conf.all.arp_accept=0", "net.ipv4.conf.eth0.arp_accept=0"], cancellationToken).ConfigureAwait(false);
            await HostCommands.IpAsync(cancellationToken, "-n", ClientNamespace, "addr", "add", $"{address}/24", "dev", "eth0").ConfigureAwait(false);
            await HostCommands.IpAsync(cancellationToken, "-n", ClientNamespace, "link", "set", "eth0", "up").ConfigureAwait(false);
            await HostCommands.IpAsync(cancellationToken, "-n", ClientNamespace, "link", "set", "lo", "up").ConfigureAwait(false);
            return await SwitchClient.StartAsync(this, address, state.Bridge).ConfigureAwait(false);
        }
        catch
        {
            await RemoveClientAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes the client, its switch port and its ARP guard, if there; nothing else.</summary>
    private async Task RemoveClientAsync(CancellationToken cancellationToken)
    {
        await HostCommands.TryRunAsync("nft", ["delete", "table", "bridge", ArpGuardTable], cancellationToken).ConfigureAwait(false);
        if (File.Exists(Path.Combine("/run/netns", ClientNamespace)))
        {
            await HostCommands.TryRunAsync("ip", ["netns", "delete", ClientNamespace], cancellationToken).ConfigureAwait(false);
        }

        if (System.IO.Directory.Exists(Path.Combine("/sys/class/net", ClientLink)))
        {
            await HostCommands.TryRunAsync("ip", ["link", "delete", ClientLink], cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class SwitchClient : ISwitchClient
    {
        private const int CloneNewNet = 0x40000000;
        private readonly VirtualLab lab;
        private readonly System.Collections.Concurrent.BlockingCollection<TaskCompletionSource<Socket>> requests = [];
        private readonly Thread maker;
        private int disposed;

        private SwitchClient(VirtualLab lab, IPAddress address, string bridge, TaskCompletionSource entered)
        {
            this.lab = lab;
            Address = address;
            Description = $"client {address} on the lab switch (bridge {bridge}, port {lab.ClientLink}, namespace {lab.ClientNamespace})";
            maker = new Thread(() => MakeSockets(entered)) { IsBackground = true, Name = "chaosedge client sockets" };
        }

        /// <summary>Starts the socket maker's thread and returns once it is in the client's namespace.</summary>
        public static async Task<SwitchClient> StartAsync(VirtualLab lab, IPAddress address, string bridge)
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var client = new SwitchClient(lab, address, bridge, entered);
            client.maker.Start();
            await entered.Task.ConfigureAwait(false);
            return client;
        }

        public IPAddress Address { get; }

        public string Description { get; }

        public Task<Socket> CreateTcpSocketAsync()
        {
            var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
            requests.Add(request);
            return request.Task;
        }

        public async Task<ClientArpTimings> ArpTimingsAsync(CancellationToken cancellationToken = default)
        {
            var text = await HostCommands.IpAsync(cancellationToken, "-n", lab.ClientNamespace, "ntable", "show", "dev", "eth0", "name", "arp_cache").ConfigureAwait(false);
            return ParseTimings(text);
        }

        public async Task SetArpGuardAsync(IReadOnlyCollection<IPAddress> addresses, bool enabled, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(addresses);
            await HostCommands.TryRunAsync("nft", ["delete", "table", "bridge", lab.ArpGuardTable], cancellationToken).ConfigureAwait(false);
            if (!enabled)
            {
                return;
            }

            // Forward hook only: the harness (the bridge itself) still hears every gratuitous ARP; only the client's port drops them.
            var ruleset = $$"""
                table bridge {{lab.ArpGuardTable}} {
                  set vips { type ipv4_addr; elements = { {{string.Join(", ", addresses)}} } }
                  chain guard {
                    type filter hook forward priority 0; policy accept;
                    oifname "{{lab.ClientLink}}" arp saddr ip @vips arp daddr ip @vips counter drop
                  }
                }

                """;
            await HostCommands.RunAsync("nft", ["-f", "-"], cancellationToken, ruleset).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1)
            {
                return;
            }

            requests.CompleteAdding();
            await lab.RemoveClientAsync(CancellationToken.None).ConfigureAwait(false);
            requests.Dispose();
        }

        /// <summary>
        /// The socket maker's thread: it moves into the client's network namespace (setns affects the calling thread
        /// only) and stays there, making every socket asked for; a socket keeps the namespace it was made in.
        /// </summary>
        private void MakeSockets(TaskCompletionSource entered)
        {
            try
            {
                using (var handle = File.OpenHandle(Path.Combine("/run/netns", lab.ClientNamespace)))
                {
                    if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new ChaosEdgeException($"Could not enter the client's network namespace '{lab.ClientNamespace}': {Marshal.GetLastPInvokeErrorMessage()}");
                    }
                }

                entered.SetResult();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ChaosEdgeException)
            {
                entered.SetException(e);
                return;
            }

            foreach (var request in requests.GetConsumingEnumerable())
            {
                try
                {
                    request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                }
                catch (SocketException e)
                {
                    request.SetException(e);
                }
            }
        }

        [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
        private static extern int SetNs(int fd, int nstype);
    }

    /// <summary>Reads <c>ip ntable show … name arp_cache</c>: the drawn reachable time, its base, the probe delay and the unicast probes.</summary>
    internal static ClientArpTimings ParseTimings(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        long Value(string key)
        {
            var at = Array.IndexOf(words, key);
            return at >= 0 && at + 1 < words.Length && long.TryParse(words[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new ChaosEdgeException($"The client's ARP table parameters have no '{key}': {text.Trim()}");
        }

        return new ClientArpTimings(TimeSpan.FromMilliseconds(Value("reachable")), TimeSpan.FromMilliseconds(Value("base_reachable")),
            TimeSpan.FromMilliseconds(Value("delay_probe")), (int)Value("ucast_probes"), TimeSpan.FromMilliseconds(Value("retrans")));
    }
}
