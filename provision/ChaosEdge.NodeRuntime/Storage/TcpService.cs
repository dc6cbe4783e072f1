using System.Net;
using System.Net.Sockets;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>Accepts TCP connections on an endpoint and serves each on its own task, until cancelled.</summary>
internal static class TcpService
{
    public static async Task AcceptAsync(IPEndPoint listen, Func<TcpClient, CancellationToken, Task> serve, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(listen);
        listener.Start();
        while (!cancellationToken.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            _ = Task.Run(() => serve(client, cancellationToken), cancellationToken);
        }
    }
}
