using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>
/// The volume as a block device over the NBD protocol (fixed newstyle negotiation, simple replies), which the I/O probe
/// and fio's nbd engine speak: READ, WRITE (with FUA), FLUSH and DISC. One export, named after the volume.
/// </summary>
internal sealed class NbdServer(Engine engine, IPEndPoint listen, ILogger logger)
{
    private const ulong NbdMagic = 0x4e42444d41474943;
    private const ulong OptionMagic = 0x49484156454F5054;
    private const ulong OptionReplyMagic = 0x3e889045565a9;
    private const uint RequestMagic = 0x25609513;
    private const uint SimpleReplyMagic = 0x67446698;
    private const uint ReplyAck = 1, ReplyServer = 2, ReplyInfo = 3, ReplyErrorUnsupported = 0x80000001, ReplyErrorUnknown = 0x80000006;
    private const ushort TransmissionFlags = 1 | 4 | 8; // HAS_FLAGS, SEND_FLUSH, SEND_FUA
    private const uint EIO = 5, EINVAL = 22;

    public Task RunAsync(CancellationToken cancellationToken) => TcpService.AcceptAsync(listen, ServeAsync, cancellationToken);

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        try
        {
            var greeting = new byte[18];
            BinaryPrimitives.WriteUInt64BigEndian(greeting, NbdMagic);
            BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), OptionMagic);
            BinaryPrimitives.WriteUInt16BigEndian(greeting.AsSpan(16), 1 | 2); // FIXED_NEWSTYLE, NO_ZEROES
            await stream.WriteAsync(greeting, cancellationToken).ConfigureAwait(false);
            var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(stream, 4, cancellationToken).ConfigureAwait(false));
            if (await NegotiateAsync(stream, (clientFlags & 2) != 0, cancellationToken).ConfigureAwait(false))
            {
                await TransmitAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException)
        {
            logger.LogDebug("NBD client {Peer} left: {Reason}", client.Client.RemoteEndPoint, e.Message);
        }
    }

    /// <summary>Option haggling; returns true when the client chose the export and transmission begins.</summary>
    private async Task<bool> NegotiateAsync(NetworkStream stream, bool noZeroes, CancellationToken cancellationToken)
    {
        var size = engine.Options.Size;
        while (true)
        {
            var header = await ReadAsync(stream, 16, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt64BigEndian(header) != OptionMagic)
            {
                return false;
            }

            var option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            var data = await ReadAsync(stream, (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)), cancellationToken).ConfigureAwait(false);
            switch (option)
            {
                case 1: // EXPORT_NAME: no reply header, straight to the export's size and flags
                    var reply = new byte[noZeroes ? 10 : 134];
                    BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)size);
                    BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), TransmissionFlags);
                    await stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                    return true;
                case 2: // ABORT
                    await OptionReplyAsync(stream, option, ReplyAck, [], cancellationToken).ConfigureAwait(false);
                    return false;
                case 3: // LIST
                    var name = System.Text.Encoding.UTF8.GetBytes(engine.Options.Volume);
                    var entry = new byte[4 + name.Length];
                    BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)name.Length);
                    name.CopyTo(entry, 4);
                    await OptionReplyAsync(stream, option, ReplyServer, entry, cancellationToken).ConfigureAwait(false);
                    await OptionReplyAsync(stream, option, ReplyAck, [], cancellationToken).ConfigureAwait(false);
                    break;
                case 6 or 7: // INFO, GO
                    var nameLength = data.Length >= 4 ? (int)BinaryPrimitives.ReadUInt32BigEndian(data) : -1;
                    var requested = nameLength >= 0 && data.Length >= 4 + nameLength ? System.Text.Encoding.UTF8.GetString(data, 4, nameLength) : null;
                    if (requested is null || (requested.Length > 0 && requested != engine.Options.Volume))
                    {
                        await OptionReplyAsync(stream, option, ReplyErrorUnknown, [], cancellationToken).ConfigureAwait(false);
                        break;
                    }

                    var info = new byte[12];
                    BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), (ulong)size);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), TransmissionFlags);
                    await OptionReplyAsync(stream, option, ReplyInfo, info, cancellationToken).ConfigureAwait(false);
                    await OptionReplyAsync(stream, option, ReplyAck, [], cancellationToken).ConfigureAwait(false);
                    if (option == 7)
                    {
                        return true;
                    }

                    break;
                default:
                    await OptionReplyAsync(stream, option, ReplyErrorUnsupported, [], cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task TransmitAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var size = engine.Options.Size;
        while (true)
        {
            var request = await ReadAsync(stream, 28, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt32BigEndian(request) != RequestMagic)
            {
                return;
            }

            var flags = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4));
            var type = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(6));
            var handle = BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(8));
            var offset = (long)BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(16));
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(24));
            var inRange = offset >= 0 && length >= 0 && offset + length <= size && length <= 32 << 20;
            byte[] data = [];
            uint error = 0;
            switch (type)
            {
                case 0 when inRange: // READ
                    try
                    {
                        data = await engine.ReadAsync(offset, length, cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        error = EIO;
                    }

                    break;
                case 1: // WRITE: the data follows the request whatever its validity
                    var payload = await ReadAsync(stream, length, cancellationToken).ConfigureAwait(false);
                    if (!inRange)
                    {
                        error = EINVAL;
                        break;
                    }

                    try
                    {
                        await engine.WriteAsync(offset, payload, synced: (flags & 1) != 0, cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        error = EIO;
                    }

                    break;
                case 2: // DISC
                    return;
                case 3: // FLUSH
                    try
                    {
                        await engine.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        error = EIO;
                    }

                    break;
                default:
                    error = EINVAL;
                    break;
            }

            var reply = new byte[16 + (error == 0 ? data.Length : 0)];
            BinaryPrimitives.WriteUInt32BigEndian(reply, SimpleReplyMagic);
            BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(4), error);
            BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(8), handle);
            if (error == 0)
            {
                data.CopyTo(reply, 16);
            }

            await stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task OptionReplyAsync(NetworkStream stream, uint option, uint type, byte[] data, CancellationToken cancellationToken)
    {
        var header = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(header, OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), (uint)data.Length);
        data.CopyTo(header, 20);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }
}
