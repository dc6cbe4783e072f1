using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>A replica's mode, as Longhorn names them: read-write, write-only (rebuilding), or failed.</summary>
internal enum ReplicaMode
{
    RW,
    WO,
    ERR,
}

/// <summary>The engine's connection to one replica: requests are pipelined and matched to replies by handle.</summary>
internal sealed class ReplicaLink(string name, string node, IPEndPoint endpoint) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> pending = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private TcpClient? client;
    private NetworkStream? stream;
    private long nextHandle;

    public string Name { get; } = name;

    public string Node { get; } = node;

    public IPEndPoint Endpoint { get; } = endpoint;

    public ReplicaMode Mode { get; set; } = ReplicaMode.ERR;

    /// <summary>Why the replica last failed, for the status.</summary>
    public string? FailureReason { get; set; }

    /// <summary>Rebuild progress in percent while write-only.</summary>
    public int RebuildProgress { get; set; }

    public bool Connected => stream is not null;

    /// <summary>Connects and opens the volume's data file on the replica (created at <paramref name="size"/> if new).</summary>
    public async Task ConnectAsync(string volume, long size, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await DisposeAsync().ConfigureAwait(false);
        var tcp = new TcpClient { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(Endpoint, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        client = tcp;
        stream = tcp.GetStream();
        _ = Task.Run(() => ReceiveAsync(stream), CancellationToken.None);
        await SendAsync(ReplicaProtocol.Info, size, System.Text.Encoding.UTF8.GetBytes(volume), 0).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends one request; the task completes with the reply's data, or fails when the link breaks.</summary>
    public async Task<byte[]> SendAsync(byte op, long offset, ReadOnlyMemory<byte> data, int readLength)
    {
        var current = stream ?? throw new IOException($"Replica '{Name}' is not connected.");
        var handle = (ulong)Interlocked.Increment(ref nextHandle);
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[handle] = reply;
        await sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await current.WriteAsync(ReplicaProtocol.Request(op, handle, offset, data.Length > 0 ? data.Length : readLength)).ConfigureAwait(false);
            if (data.Length > 0)
            {
                await current.WriteAsync(data).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            pending.TryRemove(handle, out _);
            throw new IOException($"Replica '{Name}' at {Endpoint}: {e.Message}", e);
        }
        finally
        {
            sendLock.Release();
        }

        return await reply.Task.ConfigureAwait(false);
    }

    private async Task ReceiveAsync(NetworkStream from)
    {
        var header = new byte[ReplicaProtocol.ResponseHeader];
        Exception failure = new IOException($"Replica '{Name}' closed the connection.");
        try
        {
            while (await ReplicaProtocol.ReadExactlyAsync(from, header, CancellationToken.None).ConfigureAwait(false))
            {
                var handle = BinaryPrimitives.ReadUInt64LittleEndian(header);
                var ok = header[8] == 0;
                var data = new byte[BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(9))];
                if (data.Length > 0 && !await ReplicaProtocol.ReadExactlyAsync(from, data, CancellationToken.None).ConfigureAwait(false))
                {
                    break;
                }

                if (pending.TryRemove(handle, out var reply))
                {
                    if (ok)
                    {
                        reply.TrySetResult(data);
                    }
                    else
                    {
                        reply.TrySetException(new IOException($"Replica '{Name}' refused a request."));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            failure = new IOException($"Replica '{Name}': {e.Message}", e);
        }

        foreach (var key in pending.Keys)
        {
            if (pending.TryRemove(key, out var reply))
            {
                reply.TrySetException(failure);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        stream?.Dispose();
        client?.Dispose();
        stream = null;
        client = null;
        return ValueTask.CompletedTask;
    }
}
