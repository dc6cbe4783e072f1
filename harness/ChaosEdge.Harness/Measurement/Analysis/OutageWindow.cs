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

    public bool Recovered => End is not null;
}
