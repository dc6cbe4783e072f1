using System.Runtime.InteropServices;

namespace ChaosEdge.Measurement.Timeline;

/// <summary>
/// One probe sample: when it was sent (a <see cref="TimeProvider"/> timestamp of the harness's monotonic clock), how
/// long the answer took, and how it ended. 16 bytes, no references, so a timeline of millions of samples is a few
/// arrays and recording a sample allocates nothing.
/// </summary>
/// <param name="Timestamp">When the sample was sent, in <see cref="TimeProvider.GetTimestamp"/> ticks.</param>
/// <param name="LatencyMicroseconds">From sending to the answer (or to the timeout), in microseconds.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Detail">Outcome detail: the HTTP status, the DNS rcode, or for ownership probes the bit set of owners.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct Sample(long Timestamp, int LatencyMicroseconds, ProbeOutcome Outcome, ushort Detail)
{
    public bool Succeeded => Outcome == ProbeOutcome.Success;
}
