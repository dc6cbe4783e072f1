using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>
/// A volume replica (Longhorn's replica process, as the lab runs it): serves one volume's data file in the node's own
/// data directory to the engine over TCP. Writes land in the file (and on stable storage before the reply when the
/// engine asks for it); the process keeps nothing else, so a power cut loses only what was never acknowledged.
/// </summary>
internal sealed class ReplicaServer(string dataDirectory, IPEndPoint listen, ILogger logger)
{
    public Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        logger.LogInformation("Replica server on {Endpoint}, data in {Directory}.", listen, dataDirectory);
        return TcpService.AcceptAsync(listen, ServeAsync, cancellationToken);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        SafeFileHandle? file = null;
        try
        {
            // The first request names the volume and its size: Info with the name as data (offset = size).
            var header = new byte[ReplicaProtocol.RequestHeader];
            while (await ReplicaProtocol.ReadExactlyAsync(stream, header, cancellationToken).ConfigureAwait(false))
            {
                var op = header[0];
                var handle = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(1));
                var offset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(9));
                var length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(17));
                var data = op is ReplicaProtocol.Write or ReplicaProtocol.WriteSynced or ReplicaProtocol.Info ? new byte[length] : [];
                if (data.Length > 0 && !await ReplicaProtocol.ReadExactlyAsync(stream, data, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                byte[] reply = [];
                var ok = true;
                switch (op)
                {
                    case ReplicaProtocol.Info:
                        var name = System.Text.Encoding.UTF8.GetString(data);
                        if (name.Length == 0 || name.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
                        {
                            ok = false;
                            break;
                        }

                        var path = Path.Combine(dataDirectory, name, "volume.img");
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        file?.Dispose();
                        file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                        if (RandomAccess.GetLength(file) != offset)
                        {
                            RandomAccess.SetLength(file, offset);
                        }

                        break;
                    case ReplicaProtocol.Write or ReplicaProtocol.WriteSynced when file is not null:
                        RandomAccess.Write(file, data, offset);
                        if (op == ReplicaProtocol.WriteSynced)
                        {
                            RandomAccess.FlushToDisk(file);
                        }

                        break;
                    case ReplicaProtocol.Flush when file is not null:
                        RandomAccess.FlushToDisk(file);
                        break;
                    case ReplicaProtocol.Read when file is not null:
                        reply = new byte[length];
                        RandomAccess.Read(file, reply, offset);
                        break;
                    default:
                        ok = false;
                        break;
                }

                await stream.WriteAsync(ReplicaProtocol.Response(handle, ok, reply.Length), cancellationToken).ConfigureAwait(false);
                if (reply.Length > 0)
                {
                    await stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            logger.LogInformation("Replica connection from {Peer} ended: {Reason}", client.Client.RemoteEndPoint, e.Message);
        }
        finally
        {
            file?.Dispose();
        }
    }
}
