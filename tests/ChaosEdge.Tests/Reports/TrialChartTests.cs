using System.Xml.Linq;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Trials;
using ChaosEdge.Reports;

namespace ChaosEdge.Tests.Reports;

/// <summary>The trials' strip plot and section, and the rank test behind trend regressions.</summary>
public sealed class TrialChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Test]
    public void The_strip_plot_parses_as_XML_with_a_dot_per_trial_and_the_threshold_line()
    {
        var metric = Metric([3000, 3100, null, 3200, 3300, 3400]);

        var text = TrialChart.Render(metric);
        var again = TrialChart.Render(metric with { });
        var svg = XDocument.Parse(text);

        var dots = svg.Descendants(Svg + "circle").Where(c => (string?)c.Attribute("class") == "trial").ToList();
        Assert.That(dots, Has.Count.EqualTo(5), "a dot per trial with a value");
        Assert.That(svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "threshold" && (string?)l.Attribute("stroke-dasharray") == "6,3"), Is.EqualTo(1));
        Assert.That(svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "median"), Is.EqualTo(1));
        Assert.That(svg.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "ci"), Is.EqualTo(1));
        Assert.That(svg.Descendants(Svg + "text").Select(t => t.Value), Does.Contain("SLA 5 s"));
        Assert.That(svg.Descendants(Svg + "text").First(t => (string?)t.Attribute("class") == "title").Value, Does.Contain("vip-tcp Takeover: PASS over 6 trials"));
        Assert.That(again, Is.EqualTo(text), "the jitter is deterministic");
    }

    [Test]
    public void The_trials_section_has_a_table_row_and_a_chart_per_metric()
    {
        var document = TrialsDocument.Build("vip-holder-power-off", ["a", "b", "c"], [Metric([3000, 3100, 3200]), Metric([3000, 3100, 3200], SlaMetric.LongestOutage)]);

        var html = TrialsSection.Render(document);

        Assert.That(html, Does.StartWith("<section class=\"trials\">"));
        Assert.That(html.Split("<tr class=").Length - 1, Is.EqualTo(2));
        Assert.That(html.Split("<figure class=\"trial-chart\">").Length - 1, Is.EqualTo(2));
        Assert.That(html, Does.Contain("<td>[2851.6 ms, 3348.4 ms]</td>"));
        Assert.That(() => XDocument.Parse(html), Throws.Nothing);
    }

    [Test]
    public void The_rank_test_is_exact_for_small_samples_and_normal_for_large_ones()
    {
        var separated = RankTest.Greater([10, 11], [1, 2, 3, 4, 5, 6]);
        var manyLater = RankTest.Greater([10, 11, 12, 13, 14, 15], [1, 2]);
        var tied = RankTest.Greater([5, 5], [5, 5, 5]);
        var large = RankTest.Greater([.. Enumerable.Range(0, 30).Select(i => i + 10.0)], [.. Enumerable.Range(0, 30).Select(i => (double)i)]);

        Assert.That((separated.P, separated.Exact, separated.U, separated.Shift), Is.EqualTo((1 / 28.0, true, 12.0, 7.0)));
        Assert.That(manyLater.P, Is.EqualTo(1 / 28.0).Within(1e-12), "counted over the smaller side");
        Assert.That(tied.P, Is.EqualTo(1.0), "all tied: every arrangement is as extreme");
        Assert.That(large.Exact, Is.False);
        Assert.That((large.Shift, large.U), Is.EqualTo((10.0, 700.0)));
        // U = 700 of 900 pairs (20 ties counting half); z ≈ (700 − 450 − 0.5) / √(900 · 61 / 12) ≈ 3.69.
        Assert.That(large.P, Is.LessThan(0.001).And.GreaterThan(0));
    }

    private static TrialMetric Metric(double?[] values, SlaMetric kind = SlaMetric.Takeover)
    {
        var threshold = new SlaThreshold("vip-tcp", kind, 5000, "5s", "sla.yaml:3:4");
        return new TrialMetric(threshold, values, [.. values.Select(v => v is null ? SlaOutcome.Inconclusive : SlaOutcome.Pass)], TrialStatistics.Of(values.OfType<double>()),
            new SlaVerdict(threshold, SlaOutcome.Pass, "-", "-", string.Empty));
    }
}
