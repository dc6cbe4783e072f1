namespace ChaosEdge.Measurement.Analysis;

/// <summary>How samples are turned into figures.</summary>
public sealed class AnalysisOptions
{
    /// <summary>
    /// How many successes in a row make a recovery "sustained" (default 5): the takeover ends at the first success of
    /// such a run, so a single lucky sample in the middle of a flapping outage does not end it.
    /// </summary>
    public int SustainedSuccesses { get; init; } = 5;
}
