using System.Net;
using System.Net.NetworkInformation;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// VIP reachability by ICMP echo (where permitted: raw sockets need root or the ping capability; without them .NET
/// falls back to the system's ping program), default every 100 ms with a 50 ms timeout. It tells a VIP that is not
/// answering at all from one whose TCP service is down.
/// </summary>
public sealed class IcmpProbe(string name, IPAddress address, TimeSpan? interval = null, TimeSpan? timeout = null) : IProbe
{
    private static readonly byte[] Payload = new byte[16];

    public ProbeSeries Series { get; } = new(name, ProbeKinds.Icmp, address.ToString(), interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromMilliseconds(50));

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var ping = new Ping();
        try
        {
            var reply = await ping.SendPingAsync(address, Series.Timeout, Payload, null, cancellationToken).ConfigureAwait(false);
            var outcome = reply.Status switch
            {
                IPStatus.Success => ProbeOutcome.Success,
                IPStatus.TimedOut => ProbeOutcome.Timeout,
                IPStatus.DestinationHostUnreachable or IPStatus.DestinationNetworkUnreachable => ProbeOutcome.Unreachable,
                _ => ProbeOutcome.Error,
            };
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), outcome, 0);
        }
        catch (PingException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
