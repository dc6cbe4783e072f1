using System.Text.Json.Nodes;
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
    public void A_takeover_beyond_the_historical_p95_is_flagged_and_one_within_it_is_not()
    {
        WriteRuns(3400, 3500, 3450, 3480, 3470);
        var steady = TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");
        WriteRuns(3400, 3500, 3450, 3480, 4200);
        var slower = TrendReport.Read(history).Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");

        Assert.That(steady.Points.Select(p => p.Value), Is.EqualTo(new[] { 3400.0, 3500, 3450, 3480, 3470 }));
        Assert.That(steady.Points[^1].Limit, Is.EqualTo(12000));
        Assert.That(steady.Regression, Is.Null);
        Assert.That(slower.HistoricalP95, Is.EqualTo(3500));
        Assert.That(slower.Regression, Does.Contain("4200 ms in run run-5 is worse than the historical p95 3500 ms"));
    }

    [Test]
    public void The_trend_page_charts_every_run_with_its_threshold_and_lists_the_regression()
    {
        WriteRuns(3400, 3500, 3450, 3480, 4200);

        var html = TrendReport.Render(TrendReport.Read(history));

        Assert.That(html, Does.Contain("<h2>Regressions (1)</h2>"));
        Assert.That(html, Does.Contain("vip-holder-power-off api-readyz-fresh Takeover: 4200 ms in run run-5"));
        Assert.That(html, Does.Contain("class=\"threshold\""));
        Assert.That(html.Split("<g><circle class=\"point\"").Length - 1 + html.Split("<g><rect class=\"point\"").Length - 1, Is.EqualTo(5 * TrendReport.Read(history).Count));
    }

    private void WriteRuns(params double[] takeovers)
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");
        for (var i = 0; i < takeovers.Length; i++)
        {
            var run = Path.Combine(history, $"night-{i + 1}");
            Directory.CreateDirectory(Path.Combine(run, "scenarios", "vip-holder-power-off"));
            var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, "nightly.json")))!;
            summary["runId"] = $"run-{i + 1}";
            summary["startedAt"] = $"2026-11-{10 + i:00}T02:00:00.0000000+00:00";
            File.WriteAllText(Path.Combine(run, "nightly.json"), summary.ToJsonString());
            var record = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, "scenarios", "vip-holder-power-off", "run.json")))!;
            var figures = (record["figures"] as JsonArray)!.OfType<JsonObject>().Single(f => (string?)f["probe"] == "api-readyz-fresh");
            figures["takeoverMs"] = takeovers[i];
            File.WriteAllText(Path.Combine(run, "scenarios", "vip-holder-power-off", "run.json"), record.ToJsonString());
        }
    }
}
