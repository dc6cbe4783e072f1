using System.Net;
using System.Net.Sockets;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// VIP reachability: a new TCP connection to <c>address:port</c> per sample (default every 10 ms, timeout 50 ms: samples overlap, so a
/// slow answer never delays the next sample, and a loaded harness does not turn slow connects into false outages), closed
/// with a reset at once so no connection state piles up on either side.
/// <para>
/// The timeout is the harness's own timer. A harness kept off the CPU past it is woken by the timer and by the finished
/// handshake together, in either order; so when the timer comes first the kernel is asked whether the handshake had
/// completed, and a completed one is a success (its latency counted to when the harness saw it), not a false outage.
/// </para>
/// </summary>
public sealed class TcpConnectProbe(string name, IPEndPoint endpoint, TimeSpan? interval = null, TimeSpan? timeout = null) : IProbe
{
    public ProbeSeries Series { get; } = new(name, ProbeKinds.TcpConnect, endpoint.ToString(), interval ?? TimeSpan.FromMilliseconds(10), timeout ?? TimeSpan.FromMilliseconds(50));

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        var connect = socket.ConnectAsync(endpoint, cancellationToken).AsTask();
        try
        {
            await connect.WaitAsync(Series.Timeout, clock, cancellationToken).ConfigureAwait(false);
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.Success, 0);
        }
        catch (TimeoutException) when (HandshakeCompleted(socket))
        {
            Abandon(connect);
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.Success, 0);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Abandon(connect);
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Whether the kernel finished the handshake: a connecting socket turns writable with no pending error.</summary>
    internal static bool HandshakeCompleted(Socket socket) =>
        socket.Poll(0, SelectMode.SelectWrite) && socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is 0;

    /// <summary>The connect still pending when the socket is closed fails then; nobody waits for it any more.</summary>
    private static void Abandon(Task connect) =>
        _ = connect.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
