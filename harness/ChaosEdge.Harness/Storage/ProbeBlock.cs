using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChaosEdge.Storage;

/// <summary>
/// One 4 KiB block the I/O probe writes: a marker, its sequence number and slot, a SHA-256 of the rest, and a payload
/// derived from the sequence number — so a block read back says which write it holds and whether it is intact.
/// Two layouts: the harness's binary one (<c>CEVOLBLK</c>, written over NBD) and a text one (<c>CEVOLTXT</c>) that the
/// node-side agent builds with coreutils alone: <c>"CEVOLTXT %016d %08d " + sha256hex + "\n"</c> (100 bytes), then
/// 3996 bytes of <c>"ce-volume-probe seq N slot M\n"</c> repeated, the hash taken over the first 35 bytes and the payload.
/// </summary>
public static class ProbeBlock
{
    public const int Size = 4096;
    private const ulong Marker = 0x4345564F4C424C4B; // "CEVOLBLK"
    private const int PayloadStart = 52;
    private const int TextPrefix = 35;
    private const int TextPayloadStart = 100;

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

    /// <summary>The text layout, byte for byte as the node-side agent writes it.</summary>
    public static byte[] CreateText(long sequence, int slot)
    {
        var block = new byte[Size];
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"CEVOLTXT {sequence:D16} {slot:D8} "), block);
        var line = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"ce-volume-probe seq {sequence} slot {slot}\n"));
        for (var i = TextPayloadStart; i < Size; i += line.Length)
        {
            line.AsSpan(0, Math.Min(line.Length, Size - i)).CopyTo(block.AsSpan(i));
        }

        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(TextHash(block)), block.AsSpan(TextPrefix));
        block[TextPayloadStart - 1] = (byte)'\n';
        return block;
    }

    /// <summary>What a block read back holds: its sequence number and slot, or null when it is not an intact probe block.</summary>
    public static (long Sequence, int Slot)? Read(ReadOnlySpan<byte> block)
    {
        if (block.Length == Size && block.StartsWith("CEVOLTXT "u8))
        {
            return ReadText(block);
        }

        if (block.Length != Size || BinaryPrimitives.ReadUInt64BigEndian(block) != Marker)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(block[PayloadStart..], hash);
        return hash.SequenceEqual(block.Slice(20, 32)) ? (BinaryPrimitives.ReadInt64BigEndian(block[8..]), BinaryPrimitives.ReadInt32BigEndian(block[16..])) : null;
    }

    private static (long Sequence, int Slot)? ReadText(ReadOnlySpan<byte> block)
    {
        Span<byte> hex = stackalloc byte[64];
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(TextHash(block)), hex);
        if (!hex.SequenceEqual(block.Slice(TextPrefix, 64)) || block[TextPayloadStart - 1] != (byte)'\n' ||
            !long.TryParse(block.Slice(9, 16), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ||
            !int.TryParse(block.Slice(26, 8), NumberStyles.None, CultureInfo.InvariantCulture, out var slot))
        {
            return null;
        }

        return (sequence, slot);
    }

    private static byte[] TextHash(ReadOnlySpan<byte> block)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(block[..TextPrefix]);
        hash.AppendData(block[TextPayloadStart..]);
        return hash.GetHashAndReset();
    }

    /// <summary>Whether the block is all zeros (never written).</summary>
    public static bool IsEmpty(ReadOnlySpan<byte> block) => block.IndexOfAnyExcept((byte)0) < 0;
}
