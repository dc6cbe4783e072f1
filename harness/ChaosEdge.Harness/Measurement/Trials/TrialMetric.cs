using ChaosEdge.Measurement.Sla;

namespace ChaosEdge.Measurement.Trials;

/// <summary>One threshold (probe + metric) judged over repeated trials.</summary>
/// <param name="Threshold">The threshold, as the first trial's verdict carried it.</param>
/// <param name="Values">Each trial's figure in <see cref="Unit"/>, in trial order; <c>null</c> where a trial had none.</param>
/// <param name="Outcomes">Each trial's own verdict, in trial order (inconclusive where a trial had no verdict for it).</param>
/// <param name="Statistics">The statistics of the values there are; <c>null</c> when no trial had one.</param>
/// <param name="Verdict">
/// The verdict over all trials: with one trial, that trial's verdict unchanged; with more, judged on the confidence
/// interval of the mean (see <see cref="TrialJudge"/>).
/// </param>
public sealed record TrialMetric(SlaThreshold Threshold, IReadOnlyList<double?> Values, IReadOnlyList<SlaOutcome> Outcomes, TrialStatistics? Statistics, SlaVerdict Verdict)
{
    /// <summary><c>ms</c>, or <c>%</c> for availability.</summary>
    public string Unit => MetricValue.Unit(Threshold.Metric);

    /// <summary>Whether a higher value is better (availability, a minimum).</summary>
    public bool HigherIsBetter => MetricValue.HigherIsBetter(Threshold.Metric);

    /// <summary>The limit in <see cref="Unit"/>.</summary>
    public double LimitValue => MetricValue.Limit(Threshold);

    /// <summary>The verdict over all trials.</summary>
    public SlaOutcome Outcome => Verdict.Outcome;

    /// <summary>Why, in a sentence; empty for a single trial's pass.</summary>
    public string Reason => Verdict.Reason;
}
