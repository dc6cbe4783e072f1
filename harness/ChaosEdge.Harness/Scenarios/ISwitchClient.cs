using System.Net;
using System.Net.Sockets;

namespace ChaosEdge.Scenarios;

/// <summary>
/// A machine on the cluster's switch that is not part of the cluster — a PLC or a SCADA host talking to one service
/// VIP — with the kernel's default ARP behaviour, and the switch port it hangs on, whose ARP guard can drop gratuitous
/// ARP towards it. The built-in virtual lab provides one (<c>VirtualLab.AttachClientAsync</c>); a real lab does not.
/// </summary>
public interface ISwitchClient : IAsyncDisposable
{
    /// <summary>The client's address on the nodes' network.</summary>
    IPAddress Address { get; }

    /// <summary>Where it is, for people: <c>client 198.18.1.250 on bridge ce-cenl (namespace ce-cenl-_client)</c>.</summary>
    string Description { get; }

    /// <summary>A new TCP socket in the client's own network stack (its routes, its ARP cache).</summary>
    Task<Socket> CreateTcpSocketAsync();

    /// <summary>The client's ARP timings now, as its kernel has them.</summary>
    Task<ClientArpTimings> ArpTimingsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Turns the switch's ARP guard on the client's port on or off: gratuitous ARP for <paramref name="addresses"/>
    /// (sender and target address both one of them) is not forwarded to the client. Off is idempotent.
    /// </summary>
    Task SetArpGuardAsync(IReadOnlyCollection<IPAddress> addresses, bool enabled, CancellationToken cancellationToken = default);
}

/// <summary>
/// How long a Linux client keeps sending to a MAC that no longer answers: its ARP entry stays reachable for
/// <see cref="Reachable"/> after the last confirmation (the kernel draws it between 0.5x and 1.5x
/// <see cref="BaseReachable"/> and draws again every 5 minutes), then waits <see cref="DelayFirstProbe"/> for a
/// confirmation, then sends <see cref="UnicastProbes"/> unicast ARP requests <see cref="Retransmit"/> apart to the old
/// MAC, and only then asks the whole segment again (<c>net/core/neighbour.c</c>; <c>ip ntable show</c> prints them).
/// </summary>
public sealed record ClientArpTimings(TimeSpan Reachable, TimeSpan BaseReachable, TimeSpan DelayFirstProbe, int UnicastProbes, TimeSpan Retransmit)
{
    /// <summary>From the last confirmation to the broadcast request that finds the new holder.</summary>
    public TimeSpan UntilAskedAgain => Reachable + DelayFirstProbe + (UnicastProbes * Retransmit);

    public override string ToString() =>
        $"reachable {Seconds(Reachable)} s (base {Seconds(BaseReachable)} s, drawn 0.5-1.5x), then {Seconds(DelayFirstProbe)} s delay and {UnicastProbes} unicast probes {Seconds(Retransmit)} s apart: {Seconds(UntilAskedAgain)} s until it asks again";

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
