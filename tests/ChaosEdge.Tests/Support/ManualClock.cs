namespace ChaosEdge.Tests.Support;

/// <summary>A clock that moves only when told, ticking in microseconds, for unit tests of timing logic.</summary>
public sealed class ManualClock(DateTimeOffset? start = null) : TimeProvider
{
    private long now;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => Interlocked.Read(ref now);

    public override DateTimeOffset GetUtcNow() => (start ?? new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero)).AddTicks(Interlocked.Read(ref now) * 10);

    public void Advance(TimeSpan by) => Interlocked.Add(ref now, (long)(by.TotalMilliseconds * 1000));

    /// <summary>The timestamp <paramref name="milliseconds"/> after the clock's zero.</summary>
    public static long At(double milliseconds) => (long)(milliseconds * 1000);
}
