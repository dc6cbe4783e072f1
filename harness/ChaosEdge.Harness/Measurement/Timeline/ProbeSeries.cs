namespace ChaosEdge.Measurement.Timeline;

/// <summary>One probe's identity, cadence and samples on a <see cref="RunTimeline"/>.</summary>
/// <param name="Name">Unique on the timeline: <c>vip-tcp</c>, <c>api-readyz-fresh</c>.</param>
/// <param name="Kind">What kind of probe produced it (<c>tcp-connect</c>, <c>http</c>, <c>dns</c>, <c>vip-owner</c>).</param>
/// <param name="Target">What it measures, for people: <c>198.18.0.100:6443</c>.</param>
/// <param name="Interval">The cadence; the resolution of every time figure derived from it.</param>
/// <param name="Timeout">How long one sample waits for an answer.</param>
public sealed record ProbeSeries(string Name, string Kind, string Target, TimeSpan Interval, TimeSpan Timeout)
{
    /// <summary>The samples; probes append, analysis reads a sorted copy.</summary>
    public SampleBuffer Samples { get; } = new();

    /// <summary>For ownership probes: the names behind the bits of <see cref="Sample.Detail"/>.</summary>
    public IReadOnlyList<string> Owners { get; init; } = [];

    /// <summary>
    /// For node-side probes: the estimated error of mapping the node's clock onto the harness's (half the best
    /// round-trip of the calibration); <c>null</c> for probes the harness times itself.
    /// </summary>
    public TimeSpan? ClockError { get; set; }

    /// <summary>
    /// The most samples this probe may have in flight at once: by default twice as many as its timeout lets overlap
    /// (timeout ÷ interval, rounded up), plus one — room for samples that end a little after their timeout on a busy
    /// machine. A tick that finds that many still waiting is not sent; the analysis
    /// counts it as missed, so a stalled target costs no more load and no sample queues behind another.
    /// </summary>
    public int MaxInFlight { get; init; } = Math.Max(1, (2 * (int)Math.Ceiling(Timeout / Interval)) + 1);

    /// <summary>Ticks not sent because <see cref="MaxInFlight"/> samples were still waiting.</summary>
    public long TicksNotSent => Interlocked.Read(ref ticksNotSent);

    private long ticksNotSent;

    internal void CountTickNotSent() => Interlocked.Increment(ref ticksNotSent);
}
