using System.Net;
using System.Net.Sockets;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// VIP reachability: a new TCP connection to <c>address:port</c> per sample (default every 10 ms, timeout 50 ms: samples overlap, so a
/// slow answer never delays the next sample, and a loaded harness does not turn slow connects into false outages), closed
/// with a reset at once so no connection state piles up on either side.
/// </summary>
public sealed class TcpConnectProbe(string name, IPEndPoint endpoint, TimeSpan? interval = null, TimeSpan? timeout = null) : IProbe
{
    public ProbeSeries Series { get; } = new(name, ProbeKinds.TcpConnect, endpoint.ToString(), interval ?? TimeSpan.FromMilliseconds(10), timeout ?? TimeSpan.FromMilliseconds(50));

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Series.Timeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.Success, 0);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
