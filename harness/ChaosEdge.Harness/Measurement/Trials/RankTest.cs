namespace ChaosEdge.Measurement.Trials;

/// <summary>The result of a one-sided Mann–Whitney U test of <c>later</c> against <c>earlier</c>.</summary>
/// <param name="U">The U statistic of the later sample (pairs in which the later value is larger, ties counting half).</param>
/// <param name="P">The one-sided p-value that the later values are larger by chance.</param>
/// <param name="Exact">Whether <see cref="P"/> comes from the exact permutation distribution (else the normal approximation).</param>
/// <param name="Shift">The Hodges–Lehmann estimate of how much larger the later values are: the median of all pairwise differences.</param>
public sealed record RankTestResult(double U, double P, bool Exact, double Shift);

/// <summary>
/// A one-sided Mann–Whitney U (Wilcoxon rank-sum) test: are the later values larger than the earlier? It assumes no
/// distribution — outage times are skewed and bounded below, so a t-test's normality would be a guess. With at most
/// <see cref="NormalAbove"/> values on one side the p-value is exact: the rank sum's distribution over every way to
/// pick that side from the pooled values, counted with mid-ranks, so ties are exact too (unless the count would be too
/// long, see <see cref="ExactBudget"/>). With more on both sides, the normal approximation with tie correction and
/// continuity correction.
/// </summary>
public static class RankTest
{
    /// <summary>The side size (both sides larger) from which the normal approximation is used: 20.</summary>
    public const int NormalAbove = 20;

    /// <summary>Tests whether <paramref name="later"/> tends to be larger than <paramref name="earlier"/>.</summary>
    public static RankTestResult Greater(IReadOnlyList<double> later, IReadOnlyList<double> earlier)
    {
        ArgumentNullException.ThrowIfNull(later);
        ArgumentNullException.ThrowIfNull(earlier);
        if (later.Count == 0 || earlier.Count == 0)
        {
            throw new ArgumentException("Both samples need at least one value.");
        }

        var m = later.Count;
        var n = earlier.Count;
        var pooled = later.Select(v => (Value: v, Later: true)).Concat(earlier.Select(v => (Value: v, Later: false))).OrderBy(x => x.Value).ToList();

        // Doubled mid-ranks are whole numbers: the first and last 1-based rank of a tie group, added.
        var ranks2 = new int[pooled.Count];
        var tieTerm = 0.0;
        for (var i = 0; i < pooled.Count;)
        {
            var j = i;
            while (j + 1 < pooled.Count && pooled[j + 1].Value == pooled[i].Value)
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks2[k] = i + 1 + j + 1;
            }

            double t = j - i + 1;
            tieTerm += (t * t * t) - t;
            i = j + 1;
        }

        var observed2 = pooled.Select((x, i) => x.Later ? ranks2[i] : 0).Sum();
        var u = (observed2 / 2.0) - (m * (m + 1) / 2.0);
        var shift = Median([.. later.SelectMany(a => earlier.Select(b => a - b))]);
        if (m > NormalAbove && n > NormalAbove)
        {
            return new RankTestResult(u, Normal(u, m, n, tieTerm), false, shift);
        }

        // Count over the smaller side: the later values' rank sum is large exactly when the earlier values' is small.
        var small = Math.Min(m, n);
        var maxSum = 2L * pooled.Count * small;
        if ((long)pooled.Count * small * maxSum > ExactBudget)
        {
            return new RankTestResult(u, Normal(u, m, n, tieTerm), false, shift);
        }

        var exact = m <= n
            ? ExactAtLeast(ranks2, m, observed2)
            : ExactAtMost(ranks2, n, pooled.Select((x, i) => x.Later ? 0 : ranks2[i]).Sum());
        return new RankTestResult(u, exact, true, shift);
    }

    /// <summary>
    /// The most steps (values × side × rank sums) the exact count may take, 50 million: past it — a year of nights with
    /// several trials each — the normal approximation is used even with a small side, where it is already close.
    /// </summary>
    private const long ExactBudget = 50_000_000;

    /// <summary>P(U ≥ u) by the normal approximation, with the variance corrected for ties and a continuity correction.</summary>
    private static double Normal(double u, int m, int n, double tieTerm)
    {
        var total = m + n;
        var variance = m * n / 12.0 * (total + 1 - (tieTerm / (total * (total - 1.0))));
        return variance <= 0 ? (u > m * n / 2.0 ? 0 : 1) : UpperNormal((u - (m * n / 2.0) - 0.5) / Math.Sqrt(variance));
    }

    /// <summary>P(rank sum of m values drawn from the pooled ranks ≥ observed), by counting every choice.</summary>
    private static double ExactAtLeast(int[] ranks2, int m, int observed2)
    {
        var counts = Counts(ranks2, m);
        return Share(counts, m, s => s >= observed2);
    }

    /// <summary>P(rank sum of m values drawn from the pooled ranks ≤ observed), by counting every choice.</summary>
    private static double ExactAtMost(int[] ranks2, int m, int observed2)
    {
        var counts = Counts(ranks2, m);
        return Share(counts, m, s => s <= observed2);
    }

    /// <summary>How many ways each (doubled) rank sum arises from choosing j of the pooled ranks, for j up to m.</summary>
    private static double[,] Counts(int[] ranks2, int m)
    {
        var maxSum = ranks2.OrderDescending().Take(m).Sum();
        var counts = new double[m + 1, maxSum + 1];
        counts[0, 0] = 1;
        foreach (var r in ranks2)
        {
            for (var j = m; j >= 1; j--)
            {
                for (var s = maxSum; s >= r; s--)
                {
                    counts[j, s] += counts[j - 1, s - r];
                }
            }
        }

        return counts;
    }

    private static double Share(double[,] counts, int m, Func<int, bool> counted)
    {
        double all = 0, matching = 0;
        for (var s = 0; s < counts.GetLength(1); s++)
        {
            all += counts[m, s];
            if (counted(s))
            {
                matching += counts[m, s];
            }
        }

        return matching / all;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    /// <summary>P(Z ≥ z) for a standard normal Z, by the complementary error function (Numerical Recipes' erfcc, |ε| &lt; 1.2e-7).</summary>
    private static double UpperNormal(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    private static readonly double[] ErfcCoefficients =
        [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];

    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var poly = 0.0;
        foreach (var c in ErfcCoefficients)
        {
            poly = (poly * t) + c;
        }

        var r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }
}
