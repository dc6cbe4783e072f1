using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Tests.Measurement;

/// <summary>Statistics over trials and verdicts bounded by the confidence interval of the mean, from figures judged by <see cref="SlaJudge"/>.</summary>
public sealed class TrialJudgeTests
{
    [Test]
    public void Statistics_match_the_hand_computed_values()
    {
        var s = TrialStatistics.Of([3400, 3000, 3200, 3100, 3300])!;

        // sd = √(100000 / 4) = 158.114; half width = t(0.975, 4) · sd / √5 = 2.776 · 70.711 = 196.293.
        Assert.Multiple(() =>
        {
            Assert.That((s.N, s.Mean, s.Median, s.P95, s.Min, s.Max), Is.EqualTo((5, 3200.0, 3200.0, 3400.0, 3000.0, 3400.0)));
            Assert.That(s.StandardDeviation, Is.EqualTo(158.114).Within(0.001));
            Assert.That(s.CiLow, Is.EqualTo(3003.707).Within(0.001));
            Assert.That(s.CiHigh, Is.EqualTo(3396.293).Within(0.001));
        });
    }

    [Test]
    public void An_even_count_has_the_mean_of_the_middle_two_as_median_and_p95_by_nearest_rank()
    {
        var values = Enumerable.Range(1, 20).Select(i => (double)i).Reverse().ToList();

        var s = TrialStatistics.Of(values)!;

        Assert.That((s.Median, s.P95), Is.EqualTo((10.5, 19.0)));
        Assert.That(TrialStatistics.Of([]), Is.Null);
        Assert.That(TrialStatistics.Of([7])!.CiLow, Is.Null, "one value has no interval");
    }

    // Above 30: the published t(0.975) values (31: 2.0395, 40: 2.0211, 60: 2.0003, 100: 1.9840, 500: 1.9647).
    [TestCase(1, 12.706)]
    [TestCase(2, 4.303)]
    [TestCase(30, 2.042)]
    [TestCase(31, 2.0395)]
    [TestCase(40, 2.0211)]
    [TestCase(60, 2.0003)]
    [TestCase(100, 1.9840)]
    [TestCase(500, 1.9647)]
    public void The_t_quantile_is_the_table_then_its_expansion(int df, double t) =>
        Assert.That(TrialStatistics.TQuantile975(df), Is.EqualTo(t).Within(0.0005));

    [Test]
    public void Equal_values_give_a_zero_width_interval_that_passes_a_limit_equal_to_them()
    {
        var metric = Single(Judge("takeover: 3000ms", 3000, 3000, 3000));

        Assert.That((metric.Statistics!.CiLow, metric.Statistics.CiHigh, metric.Statistics.StandardDeviation), Is.EqualTo(((double?)3000.0, (double?)3000.0, 0.0)));
        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Pass));
    }

    [Test]
    public void An_interval_below_a_maximum_passes()
    {
        var metric = Single(Judge("takeover: 5s", 3000, 3100, 3200, 3300, 3400));

        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Pass));
        Assert.That(metric.Values, Is.EqualTo(new double?[] { 3000, 3100, 3200, 3300, 3400 }));
        Assert.That(metric.Verdict.Measured, Is.EqualTo("mean 3200.0 ms, 95 % CI [3003.7 ms, 3396.3 ms], n 5"));
    }

    [Test]
    public void An_interval_above_a_maximum_fails_even_when_some_trials_passed()
    {
        var metric = Single(Judge("takeover: 2700ms", 2650, 3100, 3200, 3300, 3400));

        Assert.That(metric.Outcomes, Does.Contain(SlaOutcome.Pass));
        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Fail));
        Assert.That(metric.Reason, Does.Contain("lies above the limit 2700ms"));
    }

    [Test]
    public void An_interval_either_side_of_the_limit_is_inconclusive_and_says_so()
    {
        var metric = Single(Judge("takeover: 3300ms", 3000, 3100, 3200, 3300, 3400));

        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Inconclusive));
        Assert.That(metric.Reason, Is.EqualTo("The 95 % confidence interval of the mean [3003.7 ms, 3396.3 ms] straddles the limit 3300ms; more trials would narrow it."));
    }

    [Test]
    public void Availability_is_a_minimum_so_the_interval_must_lie_at_or_above_it()
    {
        // 99.0, 99.5, 100 %: mean 99.5, sd 0.5, half width 4.303 · 0.5 / √3 = 1.242.
        var passing = Single(Judge("availability: 90%", 99.0, 99.5, 100));
        var straddling = Single(Judge("availability: 99.5%", 99.0, 99.5, 100));
        var failing = Single(Judge("availability: 99.99%", 95, 95.2, 95.1));

        Assert.That(passing.Statistics!.CiLow, Is.EqualTo(98.258).Within(0.001));
        Assert.That((passing.Outcome, straddling.Outcome, failing.Outcome), Is.EqualTo((SlaOutcome.Pass, SlaOutcome.Inconclusive, SlaOutcome.Fail)));
        Assert.That((passing.Unit, passing.LimitValue, passing.HigherIsBetter), Is.EqualTo(("%", 90.0, true)));
    }

    [Test]
    public void A_trial_that_never_recovered_fails_the_threshold()
    {
        var trials = new[] { Trial("takeover: 5s", 3000), Trial("takeover: 5s", null), Trial("takeover: 5s", 3100) };

        var metric = Single(TrialJudge.Judge(trials));

        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Fail));
        Assert.That(metric.Values, Is.EqualTo(new double?[] { 3000, null, 3100 }));
        Assert.That(metric.Reason, Is.EqualTo("Probe 'vip-tcp' had not recovered by the end of the window in trial 2 of 3."));
    }

    [Test]
    public void Fewer_than_two_values_are_inconclusive_and_the_reason_counts_them()
    {
        var withoutFault = Figures(3000) with { FaultTookEffect = null };
        var sla = Sla("takeover: 5s");
        var trials = new (IReadOnlyList<ProbeFigures>, IReadOnlyList<SlaVerdict>)[]
        {
            Trial("takeover: 5s", 3000),
            ([withoutFault], SlaJudge.Judge(sla, "s", [withoutFault])),
            ([withoutFault], SlaJudge.Judge(sla, "s", [withoutFault])),
        };

        var metric = Single(TrialJudge.Judge(trials));

        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Inconclusive));
        Assert.That(metric.Reason, Does.StartWith("Only 1 of 3 trials have a Takeover figure"));
    }

    [Test]
    public void A_trial_without_a_value_makes_the_bound_inconclusive_however_clear_the_others_are()
    {
        var withoutFault = Figures(3000) with { FaultTookEffect = null };
        var sla = Sla("takeover: 5s");
        var trials = new (IReadOnlyList<ProbeFigures>, IReadOnlyList<SlaVerdict>)[]
        {
            Trial("takeover: 5s", 3000),
            Trial("takeover: 5s", 3010),
            ([withoutFault], SlaJudge.Judge(sla, "s", [withoutFault])),
        };

        var metric = Single(TrialJudge.Judge(trials));

        Assert.That(metric.Outcome, Is.EqualTo(SlaOutcome.Inconclusive));
        Assert.That(metric.Reason, Does.StartWith("Only 2 of 3 trials have a Takeover figure").And.Contain("needs every trial's"));
    }

    [TestCase(3000.0)]
    [TestCase(6000.0)]
    [TestCase(null)]
    public void One_trial_keeps_its_own_verdict_exactly(double? takeover)
    {
        var trial = Trial("takeover: 5s", takeover);

        var metric = Single(TrialJudge.Judge([trial]));

        Assert.That(metric.Verdict, Is.SameAs(trial.Verdicts.Single()));
    }

    [Test]
    public void Thresholds_are_kept_in_first_seen_order_one_metric_each()
    {
        var metrics = Judge("{ takeover: 5s, availability: 90%, latencyP99: 100ms }", 3000, 3100);

        Assert.That(metrics.Select(m => m.Threshold.Metric), Is.EqualTo(new[] { SlaMetric.Takeover, SlaMetric.Availability, SlaMetric.LatencyP99 }));
    }

    [Test]
    public void The_trials_document_reads_back_what_it_wrote()
    {
        var metrics = Judge("{ takeover: 3300ms, availability: 90% }", 3000, 3100, 3200, 3300, 3400);

        var json = TrialsDocument.Build("vip-holder-power-off", ["t1/run.json", "t2/run.json", "t3/run.json", "t4/run.json", "t5/run.json"], metrics);
        var run = TrialsDocument.Read((JsonObject)JsonNode.Parse(json.ToJsonString())!);

        Assert.That((string?)json["schema"], Is.EqualTo("chaosedge.trials/1"));
        Assert.That((string?)json["metrics"]![0]!["unit"], Is.EqualTo("ms"));
        Assert.That((double?)json["metrics"]![1]!["limitValue"], Is.EqualTo(90));
        Assert.That((run.Scenario, run.Trials, run.Records.Count), Is.EqualTo(("vip-holder-power-off", 5, 5)));
        Assert.That(run.Metrics.Select(m => (m.Threshold.Probe, m.Threshold.Metric, m.Threshold.Text, m.Outcome, m.Reason)), Is.EqualTo(metrics.Select(m => (m.Threshold.Probe, m.Threshold.Metric, m.Threshold.Text, m.Outcome, m.Reason))));
        Assert.That(run.Metrics[1].Threshold.Limit, Is.EqualTo(0.9).Within(1e-12));
        Assert.That(run.Metrics[0].Statistics, Is.EqualTo(metrics[0].Statistics));
        Assert.That(run.Metrics[0].Values, Is.EqualTo(metrics[0].Values));
    }

    [Test]
    public void A_metric_value_means_what_the_judge_means()
    {
        var figures = Figures(3000);

        Assert.Multiple(() =>
        {
            Assert.That(MetricValue.Of(figures, SlaMetric.Takeover), Is.EqualTo(3000));
            Assert.That(MetricValue.Of(figures with { FaultTookEffect = null }, SlaMetric.Takeover), Is.Null);
            Assert.That(MetricValue.Of(figures, SlaMetric.LatencyP99), Is.EqualTo(40));
            Assert.That(MetricValue.Of(figures, SlaMetric.LatencyMax), Is.EqualTo(80));
            Assert.That(MetricValue.Of(figures, SlaMetric.DuplicateOwner), Is.Null);
            Assert.That(MetricValue.Of(figures, SlaMetric.LongestOutage), Is.EqualTo(0));
            Assert.That(MetricValue.Of(figures, SlaMetric.Availability), Is.EqualTo(85));
            Assert.That(MetricValue.Of(figures with { Samples = 0, Failures = 0 }, SlaMetric.Availability), Is.Null);
        });
    }

    /// <summary>Trials of probe <c>vip-tcp</c> judged by SlaJudge: takeover times in ms, or availabilities in % for an availability SLA.</summary>
    private static IReadOnlyList<TrialMetric> Judge(string thresholds, params double[] values) =>
        TrialJudge.Judge([.. values.Select(v => Trial(thresholds, v))]);

    private static TrialMetric Single(IReadOnlyList<TrialMetric> metrics) => metrics[0];

    private static (IReadOnlyList<ProbeFigures> Figures, IReadOnlyList<SlaVerdict> Verdicts) Trial(string thresholds, double? value)
    {
        var figures = thresholds.Contains("availability", StringComparison.Ordinal) && !thresholds.Contains("takeover", StringComparison.Ordinal)
            ? Figures(3000) with { Samples = 10000, Failures = (int)Math.Round((100 - value!.Value) * 100) }
            : Figures(value);
        return ([figures], SlaJudge.Judge(Sla(thresholds), "s", [figures]));
    }

    private static SlaDocument Sla(string thresholds) =>
        SlaLoader.Parse($"version: 1\nscenarios:\n  s:\n    vip-tcp: {(thresholds.StartsWith('{') ? thresholds : "{ " + thresholds + " }")}\n", "sla.yaml");

    /// <summary>A probe at 10 ms cadence over 20 s, 15 % failed, the fault at 5 s; a null takeover did not recover.</summary>
    private static ProbeFigures Figures(double? takeoverMs) => new()
    {
        Probe = "vip-tcp",
        Resolution = TimeSpan.FromMilliseconds(10),
        WindowStart = TimeSpan.Zero,
        WindowEnd = TimeSpan.FromSeconds(20),
        Samples = 2000,
        Failures = 300,
        MissedSamples = 0,
        Outages = [],
        FaultTookEffect = TimeSpan.FromSeconds(5),
        TakeoverTime = takeoverMs is { } t ? TimeSpan.FromMilliseconds(t) : null,
        Recovered = takeoverMs is not null,
        Errors = new Dictionary<string, int>(),
        Latency = new LatencyFigures(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(80)),
    };
}
