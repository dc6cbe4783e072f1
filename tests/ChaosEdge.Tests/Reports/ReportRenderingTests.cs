using System.Text.Json.Nodes;
using ChaosEdge.Processes;
using ChaosEdge.Reports;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Reports;

/// <summary>The acceptance report in a real headless Chromium (Debian's): it renders, its charts are in the DOM, and it prints.</summary>
[NonParallelizable]
public sealed class ReportRenderingTests
{
    private string directory = null!;
    private string report = null!;

    [SetUp]
    public void WriteReport()
    {
        directory = Directory.CreateTempSubdirectory("chaosedge-report-").FullName;
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");
        var summary = NightlySummary.Read(Path.Combine(fixtures, "nightly.json"));
        report = Path.Combine(directory, "report.html");
        File.WriteAllText(report, AcceptanceReport.Render(summary, relative => JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, relative))) as JsonObject));
    }

    [TearDown]
    public void Remove() => Directory.Delete(directory, recursive: true);

    [Test]
    public async Task Chromium_renders_the_report_with_its_timeline_chart_and_takes_a_screenshot_of_the_first_page()
    {
        var chromium = Prerequisite.Program("chromium", "chromium");
        var screenshot = Path.Combine(directory, "first-page.png");

        var dom = await Chromium(chromium, "--dump-dom", new Uri(report).AbsoluteUri);
        var shot = await Chromium(chromium, "--window-size=1000,1400", "--hide-scrollbars", $"--screenshot={screenshot}", new Uri(report).AbsoluteUri);

        Assert.That(dom.ExitCode, Is.Zero, dom.Stderr);
        Assert.That(dom.Stdout, Does.Contain("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\""));
        Assert.That(dom.Stdout, Does.Contain("<path class=\"outage\""));
        Assert.That(dom.Stdout, Does.Contain("id=\"matrix\""));
        Assert.That(shot.ExitCode, Is.Zero, shot.Stderr);
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.That(png.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "a PNG");
        Assert.That(png, Has.Length.GreaterThan(20_000), "a page with content, not a blank one");
        File.Copy(screenshot, Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-first-page.png"), overwrite: true);
        TestContext.AddTestAttachment(Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-first-page.png"), "The report's first page in headless Chromium");
    }

    [Test]
    public async Task Chromium_prints_the_report_to_PDF()
    {
        var chromium = Prerequisite.Program("chromium", "chromium");
        var pdf = Path.Combine(directory, "report.pdf");

        var print = await Chromium(chromium, "--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(report).AbsoluteUri);

        Assert.That(print.ExitCode, Is.Zero, print.Stderr);
        var bytes = await File.ReadAllBytesAsync(pdf);
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 0, 5), Is.EqualTo("%PDF-"));
        Assert.That(bytes, Has.Length.GreaterThan(20_000));
    }

    [Test]
    public async Task A_full_16_scenario_report_prints_to_a_PDF_small_enough_to_mail()
    {
        // The fixture's scenario (a VIP-holder power-off with its raw samples and 200 outages) sixteen times over: the
        // size of a full nightly's report.
        var chromium = Prerequisite.Program("chromium", "chromium");
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");
        var summary = NightlySummary.Read(Path.Combine(fixtures, "nightly.json"));
        var template = summary.Scenarios[0];
        summary.Scenarios = [.. Enumerable.Range(1, 16).Select(i => new ScenarioEntry
        {
            Name = $"scenario-{i:00}", Suite = template.Suite, Title = template.Title, Status = template.Status, Reason = template.Reason,
            Fault = template.Fault, Record = template.Record, Seconds = template.Seconds,
        })];
        var full = Path.Combine(directory, "full.html");
        var record = File.ReadAllText(Path.Combine(fixtures, "scenarios", "vip-holder-power-off", "run.json"));
        await File.WriteAllTextAsync(full, AcceptanceReport.Render(summary, _ => JsonNode.Parse(record) as JsonObject));
        var pdf = Path.Combine(directory, "full.pdf");

        var print = await Chromium(chromium, "--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(full).AbsoluteUri);

        Assert.That(print.ExitCode, Is.Zero, print.Stderr);
        var size = new FileInfo(pdf).Length;
        TestContext.Out.WriteLine($"16-scenario report: HTML {new FileInfo(full).Length / 1024} KiB, PDF {size / 1024} KiB");
        Assert.That(size, Is.LessThan(2_000_000), "a report a customer can be mailed");
    }

    private static Task<ProcessResult> Chromium(string chromium, params string[] arguments) =>
        ProcessRunner.RunAsync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", .. arguments], timeout: TimeSpan.FromMinutes(1));
}
