using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ChaosEdge.Storage;

/// <summary>
/// One 4 KiB block the I/O probe writes: a marker, its sequence number and slot, a SHA-256 of the rest, and a payload
/// derived from the sequence number — so a block read back says which write it holds and whether it is intact.
/// </summary>
public static class ProbeBlock
{
    public const int Size = 4096;
    private const ulong Marker = 0x4345564F4C424C4B; // "CEVOLBLK"
    private const int PayloadStart = 52;

    public static byte[] Create(long sequence, int slot)
    {
        var block = new byte[Size];
        BinaryPrimitives.WriteUInt64BigEndian(block, Marker);
        BinaryPrimitives.WriteInt64BigEndian(block.AsSpan(8), sequence);
        BinaryPrimitives.WriteInt32BigEndian(block.AsSpan(16), slot);
        var state = (ulong)sequence * 0x9E3779B97F4A7C15 | 1;
        for (var i = PayloadStart; i + 8 <= Size; i += 8)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i), state);
        }

        SHA256.HashData(block.AsSpan(PayloadStart), block.AsSpan(20, 32));
        return block;
    }

    /// <summary>What a block read back holds: its sequence number and slot, or null when it is not an intact probe block.</summary>
    public static (long Sequence, int Slot)? Read(ReadOnlySpan<byte> block)
    {
        if (block.Length != Size || BinaryPrimitives.ReadUInt64BigEndian(block) != Marker)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(block[PayloadStart..], hash);
        return hash.SequenceEqual(block.Slice(20, 32)) ? (BinaryPrimitives.ReadInt64BigEndian(block[8..]), BinaryPrimitives.ReadInt32BigEndian(block[16..])) : null;
    }

    /// <summary>Whether the block is all zeros (never written).</summary>
    public static bool IsEmpty(ReadOnlySpan<byte> block) => block.IndexOfAnyExcept((byte)0) < 0;
}
