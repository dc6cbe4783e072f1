using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChaosEdge.Storage;

/// <summary>
/// A client of the NBD protocol (fixed newstyle negotiation with <c>NBD_OPT_GO</c>, simple replies): the block device
/// the I/O probe writes to. Requests are pipelined and matched to replies by handle, so a stalled write does not keep
/// the next one from being sent.
/// </summary>
public sealed class NbdClient : IAsyncDisposable
{
    private const ulong NbdMagic = 0x4e42444d41474943;
    private const ulong OptionMagic = 0x49484156454F5054;
    private const ulong OptionReplyMagic = 0x3e889045565a9;
    private const uint RequestMagic = 0x25609513;
    private const uint SimpleReplyMagic = 0x67446698;

    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, (TaskCompletionSource<byte[]> Reply, int ReadLength)> pending = new();
    private long nextHandle;

    private NbdClient(TcpClient tcp, long size)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
        Size = size;
    }

    /// <summary>The export's size in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether the connection broke (the server went away or reset it).</summary>
    public bool Broken { get; private set; }

    /// <summary>Connects and negotiates the export <paramref name="export"/>.</summary>
    /// <exception cref="IOException">The server is not an NBD server, or refused the export.</exception>
    public static async Task<NbdClient> ConnectAsync(IPEndPoint endpoint, string export, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            var stream = tcp.GetStream();
            var greeting = await ReadAsync(stream, 18, cts.Token).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt64BigEndian(greeting) != NbdMagic || BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) != OptionMagic)
            {
                throw new IOException($"{endpoint} is not an NBD server (newstyle).");
            }

            var flags = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(flags, 1 | 2); // FIXED_NEWSTYLE, NO_ZEROES
            var name = Encoding.UTF8.GetBytes(export);
            var option = new byte[16 + 4 + name.Length + 2];
            BinaryPrimitives.WriteUInt64BigEndian(option, OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(8), 7); // GO
            BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(12), (uint)(4 + name.Length + 2));
            BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(16), (uint)name.Length);
            name.CopyTo(option, 20);
            await stream.WriteAsync(flags, cts.Token).ConfigureAwait(false);
            await stream.WriteAsync(option, cts.Token).ConfigureAwait(false);
            long? size = null;
            while (true)
            {
                var reply = await ReadAsync(stream, 20, cts.Token).ConfigureAwait(false);
                if (BinaryPrimitives.ReadUInt64BigEndian(reply) != OptionReplyMagic)
                {
                    throw new IOException($"NBD server {endpoint} sent a malformed option reply.");
                }

                var type = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(12));
                var data = await ReadAsync(stream, (int)BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(16)), cts.Token).ConfigureAwait(false);
                if (type == 3 && data.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(data) == 0)
                {
                    size = (long)BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2));
                }
                else if (type == 1)
                {
                    break;
                }
                else if ((type & 0x80000000) != 0)
                {
                    throw new IOException($"NBD server {endpoint} refused export '{export}' (reply 0x{type:x8}).");
                }
            }

            var client = new NbdClient(tcp, size ?? throw new IOException($"NBD server {endpoint} did not say the size of export '{export}'."));
            _ = Task.Run(client.ReceiveAsync, CancellationToken.None);
            return client;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>; with <paramref name="fua"/> the server acknowledges only once it is on stable storage.</summary>
    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua) => SendAsync(1, fua ? (ushort)1 : (ushort)0, offset, data, 0);

    public Task<byte[]> ReadAsync(long offset, int length) => SendAsync(0, 0, offset, ReadOnlyMemory<byte>.Empty, length);

    private async Task<byte[]> SendAsync(ushort type, ushort flags, long offset, ReadOnlyMemory<byte> data, int readLength)
    {
        if (Broken)
        {
            throw new IOException("The NBD connection is broken.");
        }

        var handle = (ulong)Interlocked.Increment(ref nextHandle);
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[handle] = (reply, readLength);
        var request = new byte[28 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(request, RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(16), (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(24), (uint)(data.Length > 0 ? data.Length : readLength));
        data.Span.CopyTo(request.AsSpan(28));
        await sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(request).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            pending.TryRemove(handle, out _);
            Broken = true;
            throw new IOException($"NBD send failed: {e.Message}", e);
        }
        finally
        {
            sendLock.Release();
        }

        return await reply.Task.ConfigureAwait(false);
    }

    private async Task ReceiveAsync()
    {
        Exception failure = new IOException("The NBD server closed the connection.");
        try
        {
            while (true)
            {
                var header = await ReadAsync(stream, 16, CancellationToken.None).ConfigureAwait(false);
                if (BinaryPrimitives.ReadUInt32BigEndian(header) != SimpleReplyMagic)
                {
                    failure = new IOException("The NBD server sent a malformed reply.");
                    break;
                }

                var error = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var handle = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                if (!pending.TryRemove(handle, out var entry))
                {
                    failure = new IOException("The NBD server answered a request it was not sent.");
                    break;
                }

                if (error != 0)
                {
                    entry.Reply.TrySetException(new IOException($"The NBD server failed the request (errno {error})."));
                    continue;
                }

                entry.Reply.TrySetResult(entry.ReadLength > 0 ? await ReadAsync(stream, entry.ReadLength, CancellationToken.None).ConfigureAwait(false) : []);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            failure = new IOException($"The NBD connection broke: {e.Message}", e);
        }

        Broken = true;
        foreach (var key in pending.Keys)
        {
            if (pending.TryRemove(key, out var entry))
            {
                entry.Reply.TrySetException(failure);
            }
        }
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Broken)
        {
            try
            {
                var disconnect = new byte[28];
                BinaryPrimitives.WriteUInt32BigEndian(disconnect, RequestMagic);
                BinaryPrimitives.WriteUInt16BigEndian(disconnect.AsSpan(6), 2);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await stream.WriteAsync(disconnect, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        Broken = true;
        tcp.Dispose();
    }
}
