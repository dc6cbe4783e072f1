namespace ChaosEdge.Measurement.Trials;

/// <summary>
/// Summary statistics of one metric over repeated trials, in the metric's unit (ms, or % for availability).
/// </summary>
/// <param name="N">How many values, at least 1.</param>
/// <param name="Mean">The arithmetic mean.</param>
/// <param name="Median">The middle value; the mean of the two middle values for an even count.</param>
/// <param name="P95">The 95th percentile by nearest rank (the ⌈0.95·n⌉-th smallest value).</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <param name="StandardDeviation">The sample standard deviation (n − 1 in the denominator); 0 for one value.</param>
/// <param name="CiLow">The lower bound of the 95 % confidence interval of the mean; <c>null</c> for one value.</param>
/// <param name="CiHigh">The upper bound of the 95 % confidence interval of the mean; <c>null</c> for one value.</param>
public sealed record TrialStatistics(int N, double Mean, double Median, double P95, double Min, double Max, double StandardDeviation, double? CiLow, double? CiHigh)
{
    /// <summary>
    /// Student's t quantile t(0.975, df) for df = 1…30, to three decimals. A chaos run has few trials (each one powers
    /// a node off), so the normal quantile 1.96 would make the interval far too narrow: with 3 trials the right factor
    /// is 4.303, more than twice as wide. Past 30 degrees of freedom an expansion gives it (see <see cref="TQuantile975"/>). A table rather than an inverse incomplete beta function: deterministic, exact to the digits printed in every
    /// statistics textbook, and no dependency.
    /// </summary>
    private static readonly double[] TQuantiles =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>
    /// t(0.975, <paramref name="degreesOfFreedom"/>): the table for 1–30; above, the Cornish–Fisher expansion around
    /// z = 1.96 to the second order (2.0395 at 31, 2.0211 at 40, 1.9842 at 100: the tables' values to 4 digits), not 1.96
    /// itself, which would make an interval of 31–100 trials 1–4 % too narrow.
    /// </summary>
    public static double TQuantile975(int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        if (degreesOfFreedom <= TQuantiles.Length)
        {
            return TQuantiles[degreesOfFreedom - 1];
        }

        const double Z = 1.959964;
        double df = degreesOfFreedom;
        return Z + ((Math.Pow(Z, 3) + Z) / (4 * df)) + (((5 * Math.Pow(Z, 5)) + (16 * Math.Pow(Z, 3)) + (3 * Z)) / (96 * df * df));
    }

    /// <summary>The statistics of <paramref name="values"/>; <c>null</c> when there are none.</summary>
    public static TrialStatistics? Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        if (n == 0)
        {
            return null;
        }

        var mean = sorted.Average();
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        var p95 = sorted[Math.Max(0, (int)Math.Ceiling(0.95 * n) - 1)];
        if (n == 1)
        {
            return new TrialStatistics(1, mean, median, p95, sorted[0], sorted[0], 0, null, null);
        }

        // Equal values give exactly zero spread: a zero-width interval, not one widened by rounding.
        var sd = sorted[0] == sorted[^1] ? 0 : Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var half = TQuantile975(n - 1) * sd / Math.Sqrt(n);
        return new TrialStatistics(n, mean, median, p95, sorted[0], sorted[^1], sd, mean - half, mean + half);
    }
}
