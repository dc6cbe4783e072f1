using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary>
/// The failure detector MetalLB's speakers share, modelled on hashicorp/memberlist with its <c>DefaultLANConfig</c>
/// (which MetalLB uses): every probe interval (1 s) a member pings the next member in turn over UDP and waits the
/// probe timeout (500 ms) for an ack; without one it asks up to 3 others to ping it (indirect probes) and, with no ack
/// by the end of the interval, suspects it. A suspect is declared dead after the suspicion timeout,
/// <c>SuspicionMult (4) × max(1, log10(n)) × probe interval</c> — 4 s in a cluster of up to 10 — unless it refutes the
/// suspicion with a higher incarnation first. News is sent to every member at once (memberlist piggybacks it on its
/// gossip, every 200 ms to 3 members; with a handful of nodes that is the same). Dead members still get the news for 30 s
/// (<c>GossipToTheDeadTime</c>), so a node that was cut off and comes back hears it was declared dead, refutes it, and
/// is alive again. Not modelled: TCP push/pull state sync, encryption, Lifeguard's awareness scaling.
/// </summary>
internal sealed class Memberlist : IDisposable
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan GossipToTheDeadTime = TimeSpan.FromSeconds(30);
    public const int SuspicionMult = 4;
    public const int IndirectChecks = 3;

    private enum State
    {
        Alive,
        Suspect,
        Dead,
    }

    private sealed class Member(string name, IPEndPoint address)
    {
        public string Name { get; } = name;
        public IPEndPoint Address { get; set; } = address;
        public State State { get; set; }
        public long Incarnation { get; set; }
        public long Since { get; set; }
    }

    private readonly string self;
    private readonly UdpClient udp;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Dictionary<string, Member> members = new(StringComparer.Ordinal);
    private readonly Dictionary<long, TaskCompletionSource> acks = [];
    private readonly Lock gate = new();
    private long incarnation;
    private long sequence;
    private int next;

    public Memberlist(string self, IPEndPoint bind, ILogger logger, TimeProvider time)
    {
        this.self = self;
        this.logger = logger;
        this.time = time;
        udp = new UdpClient(bind);
        incarnation = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Raised when the set of live members (alive or suspect) changes.</summary>
    public event Action? Changed;

    /// <summary>This node and every member not declared dead, as MetalLB counts speakers that may announce.</summary>
    public IReadOnlySet<string> Active
    {
        get
        {
            lock (gate)
            {
                return members.Values.Where(m => m.State != State.Dead).Select(m => m.Name).Append(self).ToHashSet(StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Joins the members at <paramref name="peers"/> (node name and address) that are new, or at a new address: tells
    /// each this node is alive. Peers already known hear nothing again (an alive message of an unchanged incarnation
    /// changes nothing for them).
    /// </summary>
    public void Join(IEnumerable<(string Name, IPEndPoint Address)> peers)
    {
        var added = false;
        foreach (var (name, address) in peers.Where(p => p.Name != self))
        {
            lock (gate)
            {
                if (!members.TryGetValue(name, out var member))
                {
                    members[name] = new Member(name, address) { State = State.Alive, Since = time.GetTimestamp() };
                    added = true;
                }
                else if (member.Address.Equals(address))
                {
                    continue;
                }
                else
                {
                    member.Address = address;
                }
            }

            Send(address, $"alive {self} {incarnation}");
        }

        if (added)
        {
            Changed?.Invoke();
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var receiving = ReceiveAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            try
            {
                await ProbeAsync(cancellationToken).ConfigureAwait(false);
                ExpireSuspects();
                GossipToTheDead();
                var left = ProbeInterval - time.GetElapsedTime(started);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left, time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        udp.Dispose();
        await receiving.ConfigureAwait(false);
    }

    public void Dispose() => udp.Dispose();

    /// <summary>One probe: the next live member in turn, directly, then indirectly; suspected when nothing answers.</summary>
    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        Member? target;
        List<Member> others;
        lock (gate)
        {
            var live = members.Values.Where(m => m.State != State.Dead).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
            if (live.Count == 0)
            {
                return;
            }

            target = live[next++ % live.Count];
            others = [.. live.Where(m => m != target && m.State == State.Alive).OrderBy(_ => Random.Shared.Next()).Take(IndirectChecks)];
        }

        var seq = Interlocked.Increment(ref sequence);
        var ack = Expect(seq);
        Send(target.Address, $"ping {seq} {self}");
        if (await AnsweredAsync(ack, ProbeTimeout, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        foreach (var other in others)
        {
            Send(other.Address, $"pingreq {seq} {self} {target.Address}");
        }

        if (!await AnsweredAsync(ack, ProbeInterval - ProbeTimeout, cancellationToken).ConfigureAwait(false))
        {
            Suspect(target.Name, target.Incarnation, self);
        }
    }

    private TaskCompletionSource Expect(long seq)
    {
        var ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            acks[seq] = ack;
        }

        return ack;
    }

    private async Task<bool> AnsweredAsync(TaskCompletionSource ack, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await ack.Task.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            UdpReceiveResult packet;
            try
            {
                packet = await udp.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Handle(Encoding.ASCII.GetString(packet.Buffer).Split(' '), packet.RemoteEndPoint);
        }
    }

    private void Handle(string[] message, IPEndPoint from)
    {
        switch (message)
        {
            case ["ping", var seq, _]:
                Send(from, $"ack {seq} {self}");
                break;
            case ["ack", var seq, _] when long.TryParse(seq, CultureInfo.InvariantCulture, out var n):
                lock (gate)
                {
                    if (acks.Remove(n, out var ack))
                    {
                        ack.TrySetResult();
                    }
                }

                break;
            case ["pingreq", var seq, _, var target] when IPEndPoint.TryParse(target, out var endpoint):
                // Ping on the asker's behalf, and pass an ack back to it.
                _ = RelayAsync(seq, endpoint, from);
                break;
            case ["alive", var name, var inc, ..] when long.TryParse(inc, CultureInfo.InvariantCulture, out var n):
                Alive(name, n, message.Length > 3 && IPEndPoint.TryParse(message[3], out var address) ? address : new IPEndPoint(from.Address, from.Port));
                break;
            case ["suspect", var name, var inc, var by] when long.TryParse(inc, CultureInfo.InvariantCulture, out var n):
                Suspect(name, n, by);
                break;
            case ["dead", var name, var inc, var by] when long.TryParse(inc, CultureInfo.InvariantCulture, out var n):
                Dead(name, n, by);
                break;
        }
    }

    private async Task RelayAsync(string seq, IPEndPoint target, IPEndPoint asker)
    {
        var mine = Interlocked.Increment(ref sequence);
        var ack = Expect(mine);
        Send(target, $"ping {mine} {self}");
        if (await AnsweredAsync(ack, ProbeTimeout, CancellationToken.None).ConfigureAwait(false))
        {
            Send(asker, $"ack {seq} {self}");
        }
    }

    /// <summary>An alive message: a new member, or a known one with a higher incarnation (a refutation, a restart).</summary>
    private void Alive(string name, long inc, IPEndPoint address)
    {
        if (name == self)
        {
            return;
        }

        bool changed;
        lock (gate)
        {
            if (!members.TryGetValue(name, out var member))
            {
                members[name] = new Member(name, address) { State = State.Alive, Incarnation = inc, Since = time.GetTimestamp() };
                changed = true;
            }
            else if (inc > member.Incarnation)
            {
                changed = member.State == State.Dead;
                member.Incarnation = inc;
                member.State = State.Alive;
                member.Address = address;
                member.Since = time.GetTimestamp();
            }
            else
            {
                return;
            }
        }

        if (changed)
        {
            logger.LogInformation("memberlist: '{Node}' is alive (incarnation {Incarnation}).", name, inc);
            Changed?.Invoke();
        }
    }

    private void Suspect(string name, long inc, string by)
    {
        if (name == self)
        {
            Refute(inc);
            return;
        }

        lock (gate)
        {
            if (!members.TryGetValue(name, out var member) || member.State != State.Alive || inc < member.Incarnation)
            {
                return;
            }

            member.State = State.Suspect;
            member.Since = time.GetTimestamp();
        }

        logger.LogInformation("memberlist: '{Node}' is suspect ({By}).", name, by);
        Broadcast($"suspect {name} {inc} {by}");
    }

    private void Dead(string name, long inc, string by)
    {
        if (name == self)
        {
            Refute(inc);
            return;
        }

        lock (gate)
        {
            if (!members.TryGetValue(name, out var member) || member.State == State.Dead || inc < member.Incarnation)
            {
                return;
            }

            member.State = State.Dead;
            member.Since = time.GetTimestamp();
        }

        logger.LogWarning("memberlist: '{Node}' is dead ({By}).", name, by);
        Broadcast($"dead {name} {inc} {by}");
        Changed?.Invoke();
    }

    /// <summary>Someone thinks this node is suspect or dead: a higher incarnation says it is alive, to everyone.</summary>
    private void Refute(long inc)
    {
        lock (gate)
        {
            incarnation = Math.Max(incarnation, inc + 1);
        }

        Broadcast($"alive {self} {incarnation}", includeDead: true);
    }

    private void ExpireSuspects()
    {
        List<Member> expired;
        lock (gate)
        {
            var timeout = SuspicionTimeout(members.Count + 1);
            expired = [.. members.Values.Where(m => m.State == State.Suspect && time.GetElapsedTime(m.Since) >= timeout)];
        }

        foreach (var member in expired)
        {
            Dead(member.Name, member.Incarnation, self);
        }
    }

    /// <summary>memberlist's <c>suspicionTimeout</c>: SuspicionMult × max(1, log10(n)) × probe interval (with k = 0 below 4 nodes, no waiting for confirmations).</summary>
    public static TimeSpan SuspicionTimeout(int nodes) => SuspicionMult * Math.Max(1.0, Math.Log10(Math.Max(1, nodes))) * ProbeInterval;

    private void GossipToTheDead()
    {
        List<Member> dead;
        lock (gate)
        {
            dead = [.. members.Values.Where(m => m.State == State.Dead && m.Incarnation >= 0 && time.GetElapsedTime(m.Since) < GossipToTheDeadTime)];
        }

        foreach (var member in dead)
        {
            Send(member.Address, $"dead {member.Name} {member.Incarnation} {self}");
        }
    }

    private void Broadcast(string message, bool includeDead = false)
    {
        List<IPEndPoint> targets;
        lock (gate)
        {
            targets = [.. members.Values.Where(m => includeDead || m.State != State.Dead).Select(m => m.Address)];
        }

        foreach (var target in targets)
        {
            Send(target, message);
        }
    }

    private void Send(IPEndPoint to, string message)
    {
        try
        {
            var bytes = Encoding.ASCII.GetBytes(message);
            udp.Send(bytes, bytes.Length, to);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
