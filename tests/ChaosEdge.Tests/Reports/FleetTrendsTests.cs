using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Reports;

namespace ChaosEdge.Tests.Reports;

/// <summary>
/// Trends over many labs' nights (DIR/LAB/NIGHT/nightly.json, as one CronJob per lab writes them): each lab's series
/// from its own runs, a page per lab, and an index whose page is compared with a golden file (set
/// CHAOSEDGE_UPDATE_GOLDEN=1 to rewrite it after an intended change, and review the diff).
/// </summary>
public sealed class FleetTrendsTests
{
    private static readonly double[] Steady = [3400, 3500, 3450, 3480, 3470, 3460];
    private static readonly double[] Slower = [3400, 3500, 3450, 3480, 3470, 3460, 4200, 4250, 4230];

    private string root = null!;

    private string History => Path.Combine(root, "history");

    private string Index => Path.Combine(root, "out", "trends.html");

    [SetUp]
    public void CreateRoot()
    {
        root = Directory.CreateTempSubdirectory("chaosedge-fleet-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "out"));
    }

    [TearDown]
    public void RemoveRoot() => Directory.Delete(root, recursive: true);

    [Test]
    public void A_labs_metric_trends_over_its_own_runs_only()
    {
        WriteLab("plant-a", Steady);
        WriteLab("plant-b", Slower);

        var labs = FleetTrends.Read(History);

        Assert.That(labs.Select(l => l.Lab), Is.EquivalentTo(new[] { "plant-a", "plant-b" }));
        Assert.That(Takeover(labs, "plant-a").Points.Select(p => p.Value), Is.EqualTo(Steady));
        Assert.That(Takeover(labs, "plant-b").Points.Select(p => p.Value), Is.EqualTo(Slower));
        Assert.That(labs.Single(l => l.Lab == "plant-a").Series.Select(s => s.Points.Count), Is.All.EqualTo(Steady.Length));
        Assert.That(Takeover(labs, "plant-a").Regression, Is.Null);
        Assert.That(Takeover(labs, "plant-b").Regression, Is.Not.Null);
    }

    [Test]
    public async Task A_regression_in_one_lab_puts_it_first_in_the_index_and_fails_the_run()
    {
        WriteThreeLabs();

        var written = await TrendPages.WriteAsync(History, Index);
        var html = File.ReadAllText(Index);

        Assert.That(written.Regressed, Is.True);
        Assert.That(written.Lines, Has.Count.EqualTo(3 + 1 + 1));
        Assert.That(written.Lines[0], Does.Match(@"^plant-b: \d+ metrics over 9 runs; 1 regression\(s\); latest run incomplete at 2026-11-18 02:00 \+00:00$"));
        Assert.That(written.Lines[1], Does.StartWith("plant-c: ").And.EndWith("over 6 runs; 0 regression(s); latest run fail at 2026-11-15 02:00 +00:00"));
        Assert.That(written.Lines[2], Does.StartWith("plant-a: ").And.Contain("latest run pass"));
        Assert.That(written.Lines[3], Does.StartWith("  plant-b: REGRESSION vip-holder-power-off api-readyz-fresh Takeover: the latest 3 nights (run-7, run-8, run-9)"));
        Assert.That(written.Lines[4], Is.EqualTo($"Trend index: {Index} (3 labs; each lab's page beside it)"));
        Assert.That(Directory.GetFiles(Path.Combine(root, "out")).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "trends.html", "trends-plant-a.html", "trends-plant-b.html", "trends-plant-c.html" }));
        Assert.That(Rows(html), Is.EqualTo(new[] { "trends-plant-b.html", "trends-plant-c.html", "trends-plant-a.html" }));
        Assert.That(html, Does.Contain("""<td class="regression">1: vip-holder-power-off api-readyz-fresh Takeover</td>"""));
    }

    [Test]
    public async Task A_labs_page_is_the_trend_page_of_its_runs_alone()
    {
        WriteLab("plant-a", Steady);
        WriteLab("plant-b", Slower);
        var alone = Path.Combine(root, "alone");
        NightlyHistory.Write(alone, Steady, s => s["lab"]!["cluster"] = "plant-a");

        await TrendPages.WriteAsync(History, Index);

        Assert.That(File.ReadAllText(Path.Combine(root, "out", "trends-plant-a.html")), Is.EqualTo(TrendReport.Render(TrendReport.Read(alone))));
    }

    [Test]
    public void A_run_without_its_lab_belongs_to_the_directory_under_the_history_or_to_no_named_lab()
    {
        WriteLab("plant-a", Steady);
        NightlyHistory.Write(Path.Combine(History, "plant-d"), Steady[..3], s => s.Remove("lab"));
        File.Copy(Path.Combine(History, "plant-d", "night-1", "nightly.json"), Path.Combine(History, "nightly.json"));

        var labs = FleetTrends.Read(History);

        Assert.That(labs.Select(l => l.Lab), Is.EqualTo(new[] { FleetTrends.UnnamedLab, "plant-a", "plant-d" }));
        Assert.That(labs.Select(l => l.Runs.Count), Is.EqualTo(new[] { 1, 6, 3 }));
        Assert.That(labs[0].Series, Is.Empty, "its run records are not beside it");
        Assert.That(Takeover(labs, "plant-d").Points.Select(p => p.Value), Is.EqualTo(Steady[..3]));
        Assert.That(labs.Select(l => l.Page), Is.EqualTo(new[] { "trends-unnamed-lab.html", "trends-plant-a.html", "trends-plant-d.html" }));
    }

    [Test]
    public void A_night_that_could_not_open_its_lab_stays_in_its_labs_row()
    {
        WriteLab("plant-a", Steady);
        WriteLab("plant-b", Steady[..3]);
        NightlyHistory.Write(Path.Combine(History, "plant-a-failed"), Steady[..1], s => s.Remove("lab"));
        Directory.Move(Path.Combine(History, "plant-a-failed", "night-1"), Path.Combine(History, "plant-a", "night-failed"));

        Assert.That(FleetTrends.Read(History).Select(l => (l.Lab, l.Runs.Count)), Is.EquivalentTo(new[] { ("plant-a", 7), ("plant-b", 3) }));
    }

    [Test]
    public void In_one_labs_history_of_a_folder_per_night_a_night_without_its_lab_is_that_labs()
    {
        NightlyHistory.Write(History, Steady);
        NightlyHistory.Write(Path.Combine(root, "failed"), Steady[..1], s => s.Remove("lab"));
        Directory.Move(Path.Combine(root, "failed", "night-1"), Path.Combine(History, "night-failed"));

        var labs = FleetTrends.Read(History);
        Assert.That(labs, Has.Count.EqualTo(1));
        Assert.That(labs[0].Runs, Has.Count.EqualTo(Steady.Length + 1));
    }

    [Test]
    public async Task One_lab_gives_the_single_trend_page_as_before_and_no_other_file()
    {
        NightlyHistory.Write(History, Slower);
        var series = TrendReport.Read(History);

        var written = await TrendPages.WriteAsync(History, Index);

        Assert.That(Directory.GetFiles(Path.Combine(root, "out")).Select(Path.GetFileName), Is.EqualTo(new[] { "trends.html" }));
        Assert.That(File.ReadAllText(Index), Is.EqualTo(TrendReport.Render(series)));
        Assert.That(written.Regressed, Is.True);
        Assert.That(written.Lines, Is.EqualTo(new[]
        {
            $"{series.Count} metrics over 9 runs; 1 regression(s).",
            $"  REGRESSION vip-holder-power-off api-readyz-fresh Takeover: {series.Single(s => s.Regression is not null).Regression}",
            $"Trend page: {Index}",
        }));
    }

    [Test]
    public void Lab_pages_are_named_by_unique_slugs()
    {
        var pages = FleetTrends.Pages(["plant_a", "Plant A", "plant-a", "(unnamed lab)", "Äsø"]);

        Assert.That(pages["(unnamed lab)"], Is.EqualTo("trends-unnamed-lab.html"));
        Assert.That(pages["Plant A"], Is.EqualTo("trends-plant-a.html"));
        Assert.That(pages["plant-a"], Is.EqualTo("trends-plant-a-2.html"));
        Assert.That(pages["plant_a"], Is.EqualTo("trends-plant-a-3.html"));
        Assert.That(pages["Äsø"], Is.EqualTo("trends-s.html"));
    }

    [Test]
    public void An_index_named_like_a_labs_page_is_refused()
    {
        WriteLab("plant-a", Steady);
        WriteLab("plant-b", Steady);

        Assert.That(async () => await TrendPages.WriteAsync(History, Path.Combine(root, "out", "trends-plant-b.html")),
            Throws.TypeOf<ChaosEdgeException>().With.Message.Contains("lab 'plant-b'"));
    }

    [Test]
    public async Task The_index_matches_its_golden_file()
    {
        WriteThreeLabs();

        await TrendPages.WriteAsync(History, Index);
        var html = File.ReadAllText(Index);
        var golden = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Reports", "Fixtures", "trends-index.golden.html");
        if (Environment.GetEnvironmentVariable("CHAOSEDGE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, html);
        }

        Assert.That(html, Is.EqualTo(File.ReadAllText(golden)));
    }

    private static TrendSeries Takeover(IReadOnlyList<LabTrends> labs, string lab) =>
        labs.Single(l => l.Lab == lab).Series.Single(s => s.Probe == "api-readyz-fresh" && s.Metric == "Takeover");

    /// <summary>The lab pages the index's rows link to, top to bottom.</summary>
    private static string[] Rows(string html) =>
        [.. html.Split("<tr class=\"lab\"><td><a href=\"").Skip(1).Select(row => row[..row.IndexOf('"', StringComparison.Ordinal)])];

    /// <summary>
    /// plant-a: steady nights that passed; plant-b: the last three nights clearly slower (a regression), every night
    /// incomplete as in the fixture; plant-c: steady, passed until its latest night failed.
    /// </summary>
    private void WriteThreeLabs()
    {
        WriteLab("plant-a", Steady, s => s["outcome"] = "pass");
        WriteLab("plant-b", Slower);
        WriteLab("plant-c", Steady, s => s["outcome"] = (string?)s["runId"] == "run-6" ? "fail" : "pass");
    }

    /// <summary>A lab's nights under DIR/LAB, its summaries naming the lab as their cluster.</summary>
    private void WriteLab(string lab, double[] takeovers, Action<JsonObject>? edit = null) =>
        NightlyHistory.Write(Path.Combine(History, lab), takeovers, s =>
        {
            s["lab"]!["cluster"] = lab;
            edit?.Invoke(s);
        });
}
