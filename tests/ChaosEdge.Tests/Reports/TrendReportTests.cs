using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Trials;
using ChaosEdge.Reports;

namespace ChaosEdge.Tests.Reports;

/// <summary>Trends over nightly runs made from the real fixture record, with the takeover changed run by run.</summary>
public sealed class TrendReportTests
{
    private string history = null!;

    [SetUp]
    public void CreateHistory() => history = Directory.CreateTempSubdirectory("chaosedge-trends-").FullName;

    [TearDown]
    public void RemoveHistory() => Directory.Delete(history, recursive: true);

    [Test]
    public void Three_nights_clearly_slower_than_the_six_before_them_are_flagged_two_are_not_yet_and_steady_nights_are_not()
    {
        WriteRuns(3400, 3500, 3450, 3480, 3470, 3460, 4200, 4250);
        var two = TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");
        WriteRuns(3400, 3500, 3450, 3480, 3470, 3460, 3440, 3490);
        var steady = TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");
        WriteRuns(3400, 3500, 3450, 3480, 3470, 3460, 4200, 4250, 4230);
        var slower = TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");

        Assert.That(steady.Points.Select(p => p.Value), Is.EqualTo(new[] { 3400.0, 3500, 3450, 3480, 3470, 3460, 3440, 3490 }));
        Assert.That(steady.Points[^1].Limit, Is.EqualTo(12000));
        Assert.That(steady.Regression, Is.Null);
        Assert.That(two.Regression, Is.Null, "2 nights against 6: the smallest p is 1/28 = 0.036, above 0.05 / 3");
        Assert.That(slower.Shift()?.Nights, Is.EqualTo(3));
        Assert.That(slower.Regression, Is.EqualTo("the latest 3 nights (run-7, run-8, run-9) are worse than the 6 before them by 765 ms (Hodges–Lehmann shift; one-sided Mann–Whitney p = 0.0119, k = 3)"));
    }

    [Test]
    public void A_single_slower_night_after_few_nights_is_not_enough_evidence()
    {
        WriteRuns(3400, 3500, 3450, 3480, 4200);

        Assert.That(TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover").Regression, Is.Null, "1 night against 4: the smallest p is 1/5");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public void A_500_ms_slower_takeover_is_flagged_within_three_nights_and_the_same_history_without_it_is_not(int seed)
    {
        var random = new Random(seed);
        var noise = Enumerable.Range(0, 9).Select(_ => (random.NextDouble() * 300) - 150).ToArray();
        var flaggedAfter = new List<int>();
        for (var shifted = 1; shifted <= 3; shifted++)
        {
            WriteRuns([.. noise.Take(6 + shifted).Select((n, i) => 3000 + n + (i >= 6 ? 500 : 0))]);
            if (Takeover().Regression is not null)
            {
                flaggedAfter.Add(shifted);
            }
        }

        var unshifted = new List<string?>();
        for (var nights = 6; nights <= 9; nights++)
        {
            WriteRuns([.. noise.Take(nights).Select(n => 3000 + n)]);
            unshifted.Add(Takeover().Regression);
        }

        Assert.That(flaggedAfter, Is.Not.Empty.And.All.LessThanOrEqualTo(3), "flagged within 3 shifted nights");
        Assert.That(unshifted, Is.All.Null, "no shift, no regression");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void With_five_trials_a_night_a_500_ms_slower_takeover_is_flagged_on_the_first_shifted_night(int seed)
    {
        var random = new Random(seed);
        double[] Night(double centre) => [.. Enumerable.Range(0, 5).Select(_ => centre + (random.NextDouble() * 300) - 150)];
        var nights = Enumerable.Range(0, 6).Select(_ => Night(3000)).ToList();
        WriteTrialRuns(nights);
        var steady = Takeover();
        WriteTrialRuns([.. nights, Night(3500)]);
        var shifted = Takeover();

        Assert.That(steady.Points[^1].Samples, Has.Count.EqualTo(5));
        Assert.That(steady.Regression, Is.Null);
        Assert.That(shifted.Shift()?.Nights, Is.EqualTo(1));
        Assert.That(shifted.Regression, Does.StartWith("the latest night (run-7) is worse than the 6 before it by"));
    }

    [Test]
    public void A_failed_latest_verdict_stays_a_regression()
    {
        WriteTrialRuns([[3000, 3010], [3000, 3020], [3000, 3005], [3000, 3100]], lastOutcome: SlaOutcome.Fail);

        Assert.That(Takeover().Regression, Is.EqualTo("failed its SLA in run run-4"));
    }

    [Test]
    public void The_trend_page_charts_every_run_with_its_threshold_and_lists_the_regression()
    {
        WriteRuns(3400, 3500, 3450, 3480, 3470, 3460, 4200, 4250, 4230);

        var html = TrendReport.Render(TrendReport.Read(history));

        Assert.That(html, Does.Contain("<h2>Regressions (1)</h2>"));
        Assert.That(html, Does.Contain("vip-holder-power-off api-readyz-fresh Takeover: the latest 3 nights (run-7, run-8, run-9)"));
        Assert.That(html, Does.Contain("class=\"threshold\""));
        Assert.That(html.Split("<g><circle class=\"point\"").Length - 1 + html.Split("<g><rect class=\"point\"").Length - 1, Is.EqualTo(9 * TrendReport.Read(history).Count));
        Assert.That(html, Does.Contain("class=\"median\""));
    }

    private TrendSeries Takeover() => TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");

    /// <summary>Nights whose scenario ran several trials: a trials.json named from nightly.json, with each trial's takeover.</summary>
    private void WriteTrialRuns(IReadOnlyList<double[]> nights, SlaOutcome lastOutcome = SlaOutcome.Pass)
    {
        WriteRuns([.. nights.Select(n => n[0])]);
        var threshold = new SlaThreshold("api-readyz-fresh", SlaMetric.Takeover, 12000, "12s", "sla/lab-sla.yaml:31:35");
        for (var i = 0; i < nights.Count; i++)
        {
            var run = Path.Combine(history, $"night-{i + 1}");
            var outcome = i == nights.Count - 1 ? lastOutcome : SlaOutcome.Pass;
            var metric = new TrialMetric(threshold, [.. nights[i].Select(v => (double?)v)], [.. nights[i].Select(_ => outcome)], TrialStatistics.Of(nights[i]),
                new SlaVerdict(threshold, outcome, "-", "-", string.Empty));
            var records = nights[i].Select((_, t) => $"scenarios/vip-holder-power-off/trial-{t + 1}/run.json").ToList();
            File.WriteAllText(Path.Combine(run, "scenarios", "vip-holder-power-off", "trials.json"), TrialsDocument.Build("vip-holder-power-off", records, [metric]).ToJsonString());
            var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "nightly.json")))!;
            summary["scenarios"]![0]!["trials"] = "scenarios/vip-holder-power-off/trials.json";
            File.WriteAllText(Path.Combine(run, "nightly.json"), summary.ToJsonString());
        }
    }

    private void WriteRuns(params double[] takeovers)
    {
        foreach (var stale in Directory.EnumerateDirectories(history))
        {
            Directory.Delete(stale, recursive: true);
        }

        NightlyHistory.Write(history, takeovers);
    }
}
