using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChaosEdge.Tests.Measurement;

/// <summary>
/// A TCP server on 127.0.0.1 (a free port) that hands every accepted connection to a handler, counting how many are
/// open at once. <see cref="Silent"/> listens but never accepts: the kernel completes handshakes and nothing answers.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int open;
    private int mostAtOnce;

    public LoopbackServer(Func<Socket, CancellationToken, Task>? handle)
    {
        listener.Start();
        accepting = handle is null ? Task.CompletedTask : AcceptAsync(handle);
    }

    public static LoopbackServer Silent() => new(null);

    public IPEndPoint Endpoint => (IPEndPoint)listener.LocalEndpoint;

    /// <summary>The most connections the handler held at once.</summary>
    public int MostAtOnce => Volatile.Read(ref mostAtOnce);

    /// <summary>Reads a request up to its empty line (HTTP).</summary>
    public static async Task<string> ReadHeadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return head.ToString();
    }

    /// <summary>Reads until <paramref name="text"/> has arrived or the peer closes.</summary>
    public static async Task ReadUntilAsync(Socket socket, string text, CancellationToken cancellationToken)
    {
        var seen = new StringBuilder();
        var buffer = new byte[1024];
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return;
            }

            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync(Func<Socket, CancellationToken, Task> handle)
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            _ = ServeAsync(socket, handle);
        }
    }

    private async Task ServeAsync(Socket socket, Func<Socket, CancellationToken, Task> handle)
    {
        var now = Interlocked.Increment(ref open);
        for (var most = Volatile.Read(ref mostAtOnce); now > most && Interlocked.CompareExchange(ref mostAtOnce, now, most) != most; most = Volatile.Read(ref mostAtOnce))
        {
        }

        try
        {
            await handle(socket, stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The probe reset the connection, or the server stopped: both are the test's business, not the server's.
        }
        finally
        {
            Interlocked.Decrement(ref open);
            socket.Dispose();
        }
    }
}
