using System.Net;
using System.Net.Sockets;
using System.Text;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// A client's request/response, the way a PLC or a SCADA host polls a service: every 100 ms a new TCP connection from
/// the client's own network stack to <c>address:port</c>, an HTTP/1.0 <c>GET /</c>, and the status line read back
/// (timeout 200 ms; 200 succeeds, another status is <see cref="ProbeOutcome.HttpStatus"/>). The connection is reset
/// when the sample ends, so nothing piles up on either side. It sees what the client's ARP cache makes of a VIP move.
/// </summary>
public sealed class ClientRequestProbe(string name, Func<Task<Socket>> createSocket, IPEndPoint endpoint, TimeSpan? interval = null, TimeSpan? timeout = null) : IProbe
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\nUser-Agent: chaosedge-client\r\n\r\n");

    public ProbeSeries Series { get; } = new(name, ProbeKinds.Http, $"http://{endpoint}/ from the client", interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromMilliseconds(200));

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        using var socket = await createSocket().ConfigureAwait(false);
        socket.NoDelay = true;
        socket.LingerState = new LingerOption(true, 0);
        using var timeoutSource = new CancellationTokenSource(Series.Timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
            await socket.SendAsync(Request, SocketFlags.None, linked.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = 0;
            while (read < 12)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, linked.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            var status = Status(Encoding.ASCII.GetString(buffer, 0, read));
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), status == 200 ? ProbeOutcome.Success : ProbeOutcome.HttpStatus, (ushort)Math.Max(0, status));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    /// <summary>The status of an HTTP status line (<c>HTTP/1.0 200 OK</c>), or 0 when it is not one.</summary>
    internal static int Status(string head) =>
        head.StartsWith("HTTP/1.", StringComparison.Ordinal) && head.Length >= 12 && int.TryParse(head.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 0;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
