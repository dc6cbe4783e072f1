using System.Buffers.Binary;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>
/// The engine-to-replica wire format (TCP, little-endian). Request: op (1 byte), handle (8), offset (8), length (4), then
/// the data of a write. Response: handle (8), status (1: 0 ok), length (4), then the data of a read or an info.
/// </summary>
internal static class ReplicaProtocol
{
    public const byte Write = 1;
    public const byte Read = 2;
    public const byte Info = 3;
    public const byte Flush = 4;

    /// <summary>A write that must be on stable storage before it is acknowledged (NBD's FUA).</summary>
    public const byte WriteSynced = 5;

    public const int RequestHeader = 21;
    public const int ResponseHeader = 13;

    public static byte[] Request(byte op, ulong handle, long offset, int length)
    {
        var header = new byte[RequestHeader];
        header[0] = op;
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(1), handle);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(9), offset);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(17), length);
        return header;
    }

    public static byte[] Response(ulong handle, bool ok, int length)
    {
        var header = new byte[ResponseHeader];
        BinaryPrimitives.WriteUInt64LittleEndian(header, handle);
        header[8] = ok ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(9), length);
        return header;
    }

    public static async Task<bool> ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
