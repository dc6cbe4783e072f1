namespace ChaosEdge.Measurement.Analysis;

/// <summary>A maximal run of failed samples.</summary>
/// <param name="Start">Offset (from the timeline's start) of the first failed sample.</param>
/// <param name="End">Offset of the answer to the first successful sample after it; <c>null</c> when the window ended first.</param>
/// <param name="FailedSamples">How many samples failed in it.</param>
/// <param name="Cause">The most frequent outcome among them (<c>Timeout</c>, <c>Refused</c>, <c>HTTP 500</c>).</param>
public sealed record OutageWindow(TimeSpan Start, TimeSpan? End, int FailedSamples, string Cause)
{
    /// <summary>Length of the outage; for an outage still open, up to the end of the analysed window.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// How much earlier than <see cref="Start"/> the outage may have begun: the time since the success before it was
    /// answered (the probe's cadence when the window begins with it). Where the harness missed samples just before
    /// the outage, this is that gap, not the cadence.
    /// </summary>
    public TimeSpan StartedEarlierBy { get; init; }

    /// <summary>How much earlier than <see cref="End"/> it may have ended: the time from its last failed sample to the answer that ended it.</summary>
    public TimeSpan EndedEarlierBy { get; init; }

    /// <summary>The shortest it can have been: from its first to its last failed sample.</summary>
    public TimeSpan Shortest => Duration > EndedEarlierBy ? Duration - EndedEarlierBy : TimeSpan.Zero;

    /// <summary>The longest it can have been: from the success before it to the success after it.</summary>
    public TimeSpan Longest => Duration + StartedEarlierBy;

    public bool Recovered => End is not null;
}
