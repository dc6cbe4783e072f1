using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChaosEdge.Reports;
using ChaosEdge.Secrets;

namespace ChaosEdge.Tests.Reports;

/// <summary>
/// The acceptance report against a real nightly summary and run record (a VIP-holder power-off measured on the virtual
/// lab, its raw samples left out): its content is checked against the record, and the whole page against a golden
/// file (set CHAOSEDGE_UPDATE_GOLDEN=1 to rewrite it after an intended change, and review the diff).
/// </summary>
public sealed partial class AcceptanceReportTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");

    private static NightlySummary Summary => NightlySummary.Read(Path.Combine(Fixtures, "nightly.json"));

    private static JsonObject? Record(string relative) =>
        File.Exists(Path.Combine(Fixtures, relative)) ? (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, relative)))! : null;

    [Test]
    public void The_report_matches_its_golden_file()
    {
        var html = AcceptanceReport.Render(Summary, Record);
        var golden = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Reports", "Fixtures", "report.golden.html");
        if (Environment.GetEnvironmentVariable("CHAOSEDGE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, html);
        }

        Assert.That(html, Is.EqualTo(File.ReadAllText(golden)));
    }

    [Test]
    public void Every_verdict_of_the_run_record_is_in_the_summary_matrix_with_its_measured_value_limit_and_outcome()
    {
        var html = AcceptanceReport.Render(Summary, Record);
        var matrix = html[html.IndexOf("<table id=\"matrix\">", StringComparison.Ordinal)..];
        matrix = matrix[..matrix.IndexOf("</table>", StringComparison.Ordinal)];
        var record = Record("scenarios/vip-holder-power-off/run.json")!;
        var verdicts = (record["verdicts"] as JsonArray)!.OfType<JsonObject>().ToList();

        Assert.That(verdicts, Is.Not.Empty);
        foreach (var v in verdicts)
        {
            var row = $"<td>vip-holder-power-off</td><td>{v["probe"]}</td><td>{v["metric"]}</td><td class=\"num\">{v["measured"]}</td><td class=\"num\">{v["limit"]}</td><td class=\"verdict {v["outcome"]}\">{((string?)v["outcome"])!.ToUpperInvariant()}</td><td class=\"num\">{v["margin"]}</td>";
            Assert.That(matrix, Does.Contain(row));
        }

        Assert.That(Rows().Matches(matrix), Has.Count.EqualTo(verdicts.Count + 1 + 2), "a header, one row per verdict, one each for the scenario that could not be completed and the one that did not run");
    }

    [Test]
    public void The_timeline_chart_draws_every_outage_of_the_record_and_the_fault_and_restore_markers()
    {
        var html = AcceptanceReport.Render(Summary, Record);
        var record = Record("scenarios/vip-holder-power-off/run.json")!;
        var outages = (record["figures"] as JsonArray)!.OfType<JsonObject>().Sum(f => (f["outages"] as JsonArray)!.Count);

        Assert.That(Svgs().Matches(html), Has.Count.EqualTo(2), "the timeline and the latency chart");
        Assert.That(Outages().Matches(html).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(outages), "every outage of every band");
        var flapping = Outages().Matches(html).Single(m => m.Value.Contains("data-outages=\"149\"", StringComparison.Ordinal));
        Assert.That(flapping.Groups[2].Value.Count(c => c == 'M'), Is.InRange(1, 148), "service-vip-tcp's 149 outages drawn as fewer spans at the chart's resolution");
        Assert.That(html, Does.Contain("class=\"marker fault\"").And.Contain("class=\"marker restore\""));
        Assert.That(html, Does.Contain("takeover 3.460 s"), "api-readyz-fresh's takeover, annotated");
    }

    [Test]
    public void The_latency_chart_is_drawn_from_the_raw_samples_with_a_gap_where_a_probe_had_no_answer()
    {
        var html = AcceptanceReport.Render(Summary, Record);
        var chart = html[html.IndexOf("class=\"latency\"", StringComparison.Ordinal)..];
        chart = chart[..chart.IndexOf("</svg>", StringComparison.Ordinal)];

        // api-readyz-fresh, vip-tcp and service-vip-tcp each lost answers for about 3.4 s after the power-off, so each
        // line breaks there: at least two segments per probe.
        foreach (var probe in new[] { "api-readyz-fresh", "vip-tcp", "service-vip-tcp" })
        {
            Assert.That(chart.Split($"<title>{probe}</title></polyline>").Length - 1, Is.GreaterThanOrEqualTo(2), probe);
        }
    }

    [Test]
    public void The_report_is_self_contained_and_says_the_overall_verdict()
    {
        var html = AcceptanceReport.Render(Summary, Record);

        Assert.That(ExternalReference().Matches(html), Is.Empty, "no external script, style, image or link");
        Assert.That(html, Does.Contain("<p class=\"overall\" id=\"overall\">Overall: INCOMPLETE"));
        Assert.That(html, Does.Contain("id=\"customer\">Acme Edge GmbH<"));
    }

    [Test]
    public void A_secret_that_reaches_a_record_does_not_reach_the_report()
    {
        const string Secret = "K10-report-test-token-3f9a7c";
        SecretRedactor.Register(Secret);
        var summary = Summary;
        summary.Reason = $"join failed with token {Secret}";

        var html = AcceptanceReport.Render(summary, Record);

        Assert.That(html, Does.Not.Contain(Secret));
    }

    [Test]
    public void A_scenario_that_could_not_be_completed_is_told_in_plain_words_and_its_technical_detail_only_in_the_appendix()
    {
        var html = AcceptanceReport.Render(Summary, Record);
        var body = html[html.IndexOf("<h2>Executive summary</h2>", StringComparison.Ordinal)..html.IndexOf("<h2>Methodology</h2>", StringComparison.Ordinal)];
        var appendix = html[html.IndexOf("<h2 id=\"appendix\">", StringComparison.Ordinal)..];

        Assert.Multiple(() =>
        {
            Assert.That(body, Does.Contain("Not completed: the harness lost its connection to node &#39;edge-1&#39;, so this scenario has no verdicts. Its fault was undone."));
            Assert.That(body, Does.Not.Contain("exit code").And.Not.Contain("aborted by the server").And.Not.Contain("systemctl"), "no technical detail before the appendix");
            Assert.That(appendix, Does.Contain("<td>non-holder-kubelet-stop</td>").And.Contain("An established connection was aborted by the server.").And.Contain("command: systemctl start k3s"));
        });
    }

    [Test]
    public void Outages_are_drawn_at_the_charts_resolution_merged_only_where_they_would_touch()
    {
        var spans = TimelineChart.OutageSpans([(100, 100.25), (100.5, 100.75), (101.75, 104), (104.25, 105), (155, 158), (150, 160), (200, 200)]).ToList();

        Assert.That(spans, Is.EqualTo(new[] { (100.0, 104.0), (104.25, 105.75), (150.0, 160.0), (200.0, 201.5) }),
            "a lost sample is drawn 1.5 units wide; spans within 0.1 unit of each other are one; a gap of 0.1 or more stays visible");
    }

    [TestCase(typeof(ChaosEdge.Errors.NodeUnreachableException), false, "Not completed: the harness could not reach node 'edge-2', so this scenario has no verdicts. Its fault was undone.")]
    [TestCase(typeof(ChaosEdge.Errors.GateTimeoutException), false, "Not completed: longhorn volume 'chaosedge-io' did not reach the expected state in time, so this scenario has no verdicts. Its fault was undone.")]
    [TestCase(typeof(ChaosEdge.Errors.FaultRevertException), false, "Not completed: the fault could not be undone, so this scenario has no verdicts. Its fault may still be in effect: the lab must be checked before it is used again ('chaosedge recover').")]
    [TestCase(typeof(InvalidOperationException), true, "Not completed: the harness met an unexpected error, so this scenario has no verdicts. Its fault may still be in effect: the lab must be checked before it is used again ('chaosedge recover').")]
    public void The_summary_of_a_scenario_that_could_not_be_completed_says_what_it_means_without_internals(Type kind, bool dirty, string expected)
    {
        Exception error = kind.Name switch
        {
            "NodeUnreachableException" => new ChaosEdge.Errors.NodeUnreachableException("edge-2", "198.18.0.12", 5, "Connection refused (control socket /tmp/ce-ssh-x/cm)"),
            "GateTimeoutException" => new ChaosEdge.Errors.GateTimeoutException("Longhorn volume 'chaosedge-io'", "reach the expected state", TimeSpan.FromMinutes(2), "faulted"),
            "FaultRevertException" => new ChaosEdge.Errors.FaultRevertException("systemctl start k3s failed: banner exchange timed out"),
            _ => new InvalidOperationException("Collection was modified."),
        };

        Assert.That(ChaosEdge.Runs.NightlyRun.ErrorSummary(error, dirty), Is.EqualTo(expected));
    }

    [GeneratedRegex("<tr>")]
    private static partial Regex Rows();

    [GeneratedRegex("<svg ")]
    private static partial Regex Svgs();

    [GeneratedRegex("<path class=\"outage\" data-outages=\"(\\d+)\" d=\"([^\"]*)\"")]
    private static partial Regex Outages();

    [GeneratedRegex("""(src|href)\s*=\s*["'](https?:|//)|@import|url\((?!#)""")]
    private static partial Regex ExternalReference();
}
