namespace ChaosEdge.Storage;

/// <summary>
/// The check behind every volume probe's read-back: each slot that holds an acknowledged write must hold that write or
/// a later one the probe sent, intact (<see cref="ProbeBlock"/>, either layout).
/// </summary>
public static class VolumeReadBack
{
    /// <summary>Checks consecutive blocks read from <paramref name="firstSlot"/> on; each finding is added to <paramref name="lost"/>.</summary>
    /// <param name="acknowledged">Per slot, the latest write acknowledged there.</param>
    /// <param name="sent">The highest sequence number the probe sent (a later write may have landed unacknowledged).</param>
    /// <param name="data">The blocks, <see cref="ProbeBlock.Size"/> bytes each.</param>
    /// <param name="firstSlot">The slot of the first block.</param>
    /// <param name="lost">Where the findings go.</param>
    /// <returns>How many slots held an acknowledged write.</returns>
    public static int Check(IReadOnlyDictionary<int, long> acknowledged, long sent, ReadOnlySpan<byte> data, int firstSlot, List<string> lost)
    {
        ArgumentNullException.ThrowIfNull(acknowledged);
        ArgumentNullException.ThrowIfNull(lost);
        var checkedSlots = 0;
        for (var i = 0; (i + 1) * ProbeBlock.Size <= data.Length; i++)
        {
            var slot = firstSlot + i;
            if (!acknowledged.TryGetValue(slot, out var expected))
            {
                continue;
            }

            checkedSlots++;
            var block = data.Slice(i * ProbeBlock.Size, ProbeBlock.Size);
            if (ProbeBlock.Read(block) is not { } found)
            {
                lost.Add($"slot {slot}: acknowledged write #{expected} is not there (the block is {(ProbeBlock.IsEmpty(block) ? "empty" : "damaged")})");
            }
            else if (found.Slot != slot || found.Sequence < expected || found.Sequence > sent)
            {
                lost.Add($"slot {slot}: acknowledged write #{expected} is not there (it holds #{found.Sequence} of slot {found.Slot})");
            }
        }

        return checkedSlots;
    }
}
