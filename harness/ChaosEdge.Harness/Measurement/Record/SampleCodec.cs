using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Record;

/// <summary>
/// The run record's compact sample encoding (<c>varint-delta-v1</c>): per sample, the microseconds since the previous
/// sample (the first: since the timeline's start), the latency in microseconds, the outcome and the detail, each as an
/// unsigned LEB128 varint. A 10 ms probe costs about 6 bytes per sample.
/// </summary>
public static class SampleCodec
{
    public const string Encoding = "varint-delta-v1";

    public static byte[] Encode(ReadOnlySpan<Sample> samples, TimeProvider clock, long origin)
    {
        ArgumentNullException.ThrowIfNull(clock);
        using var buffer = new MemoryStream(samples.Length * 6);
        long previous = 0;
        foreach (ref readonly var sample in samples)
        {
            var micros = Math.Max(0, clock.GetElapsedTime(origin, sample.Timestamp).Ticks / 10);
            Write(buffer, (ulong)Math.Max(0, micros - previous));
            previous = Math.Max(previous, micros);
            Write(buffer, (ulong)Math.Max(0, sample.LatencyMicroseconds));
            buffer.WriteByte((byte)sample.Outcome);
            Write(buffer, sample.Detail);
        }

        return buffer.ToArray();
    }

    /// <summary>Decodes samples with timestamps in microseconds since the timeline's start (frequency 1 MHz).</summary>
    public static Sample[] Decode(ReadOnlySpan<byte> data)
    {
        var samples = new List<Sample>();
        var at = 0;
        long time = 0;
        while (at < data.Length)
        {
            time += (long)Read(data, ref at);
            var latency = (int)Read(data, ref at);
            var outcome = (ProbeOutcome)data[at++];
            var detail = (ushort)Read(data, ref at);
            samples.Add(new Sample(time, latency, outcome, detail));
        }

        return [.. samples];
    }

    private static void Write(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private static ulong Read(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        var shift = 0;
        byte b;
        do
        {
            if (at >= data.Length || shift > 63)
            {
                throw new FormatException("The sample data ends in the middle of a number.");
            }

            b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return value;
    }
}
