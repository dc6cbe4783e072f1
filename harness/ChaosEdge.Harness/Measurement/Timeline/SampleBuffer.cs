namespace ChaosEdge.Measurement.Timeline;

/// <summary>
/// An append-only store of one probe's samples in fixed-size chunks: appending never copies what is there and, once a
/// chunk exists, allocates nothing. Samples may complete out of order (overlapping samples), so readers sort by
/// timestamp (<see cref="ToSortedArray"/>). Safe for concurrent writers.
/// </summary>
public sealed class SampleBuffer
{
    private const int ChunkSize = 16_384;
    private readonly List<Sample[]> chunks = [];
    private readonly Lock gate = new();
    private int count;

    /// <summary>Number of samples recorded.</summary>
    public int Count => Volatile.Read(ref count);

    public void Add(in Sample sample)
    {
        lock (gate)
        {
            var index = count % ChunkSize;
            if (index == 0)
            {
                chunks.Add(new Sample[ChunkSize]);
            }

            chunks[^1][index] = sample;
            count++;
        }
    }

    /// <summary>The samples recorded last, at most <paramref name="max"/>, in the order they were recorded.</summary>
    public Sample[] Latest(int max)
    {
        lock (gate)
        {
            var length = Math.Min(max, count);
            var latest = new Sample[length];
            for (var i = 0; i < length; i++)
            {
                var index = count - length + i;
                latest[i] = chunks[index / ChunkSize][index % ChunkSize];
            }

            return latest;
        }
    }

    /// <summary>A copy of every sample, ordered by the time it was sent.</summary>
    public Sample[] ToSortedArray()
    {
        Sample[] all;
        lock (gate)
        {
            all = new Sample[count];
            for (var i = 0; i < chunks.Count; i++)
            {
                var length = Math.Min(ChunkSize, count - (i * ChunkSize));
                Array.Copy(chunks[i], 0, all, i * ChunkSize, length);
            }
        }

        Array.Sort(all, ByTimestamp.Instance);
        return all;
    }

    private sealed class ByTimestamp : IComparer<Sample>
    {
        public static readonly ByTimestamp Instance = new();

        public int Compare(Sample x, Sample y) => x.Timestamp.CompareTo(y.Timestamp);
    }
}
