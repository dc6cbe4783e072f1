using System.Globalization;
using System.Text;

namespace ChaosEdge.Reports;

/// <summary>
/// The index page of trends over many labs: one row per lab (in <see cref="FleetTrends.Read"/>'s order) with its latest
/// run (id, start, outcome, its scenarios' statuses), its metric series, its regressions by name, its latest nights'
/// outcomes as a strip of marks, its number of runs, and a link to its own trend page beside the index. Plain HTML in
/// the trend pages' style, with no script; printed, each link shows its file name.
/// </summary>
public static class FleetIndex
{
    /// <summary>The latest nights a lab's strip shows: 14.</summary>
    public const int Nights = 14;

    private const string Css = " td{vertical-align:top} .num{text-align:right} .outcome{font-weight:bold} .note{font-size:9.5pt} @media print{a[href]::after{content:\" (\" attr(href) \")\"}}";

    private static readonly (ScenarioStatus Status, string Word, bool Always)[] Statuses =
    [
        (ScenarioStatus.Pass, "passed", true),
        (ScenarioStatus.Fail, "failed", true),
        (ScenarioStatus.Inconclusive, "inconclusive", false),
        (ScenarioStatus.Error, "could not be completed", false),
        (ScenarioStatus.NotRun, "not run", true),
    ];

    /// <summary>The index page of <paramref name="labs"/>, linking each to its <see cref="LabTrends.Page"/>.</summary>
    public static string Render(IReadOnlyList<LabTrends> labs)
    {
        ArgumentNullException.ThrowIfNull(labs);
        var html = new StringBuilder(TrendReport.Head(string.Create(CultureInfo.InvariantCulture, $"ChaosEdge trends: {labs.Count} labs"), Css));
        html.Append(CultureInfo.InvariantCulture, $"<p>{labs.Count(l => l.Regressions.Count > 0)} of {labs.Count} labs regressed in their latest run; the latest run of {labs.Count(l => l.Latest.Outcome != RunOutcome.Pass)} did not pass. Labs with regressions come first, then those whose latest run did not pass, then the rest by name. Each lab's page charts its metrics over its own runs.</p>");
        html.Append("""<table id="labs"><tr><th>Lab</th><th>Latest run</th><th>Outcome</th><th>Scenarios of the latest run</th><th>Metrics</th><th>Regressions</th><th>Latest nights</th><th>Runs</th></tr>""");
        foreach (var lab in labs)
        {
            var regressions = lab.Regressions.Count == 0 ? """<td class="num">0</td>"""
                : string.Create(CultureInfo.InvariantCulture, $"""<td class="regression">{lab.Regressions.Count}: {TimelineChart.Escape(string.Join("; ", lab.Regressions.Select(r => r.Name)))}</td>""");
            html.Append(CultureInfo.InvariantCulture, $"""<tr class="lab"><td><a href="{TimelineChart.Escape(lab.Page)}">{TimelineChart.Escape(lab.Lab)}</a></td><td>{TimelineChart.Escape(lab.Latest.RunId)}<br>{TimelineChart.Escape(lab.LatestAt)}</td>""");
            html.Append(CultureInfo.InvariantCulture, $"""<td class="outcome">{LabTrends.Spelling(lab.Latest.Outcome)}</td><td>{Scenarios(lab.Latest)}</td><td class="num">{lab.Series.Count}</td>{regressions}<td>{Strip(lab)}</td><td class="num">{lab.Runs.Count}</td></tr>""");
        }

        html.Append(CultureInfo.InvariantCulture, $"""</table><p class="note">Latest nights: the outcome of each of the latest {Nights} runs, oldest left — a filled circle passed, an open square failed, a dash was incomplete or still running.</p>""");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Scenarios(NightlySummary run) =>
        string.Join(", ", Statuses
            .Select(s => (s.Word, s.Always, Count: run.Scenarios.Count(e => e.Status == s.Status)))
            .Where(s => s.Always || s.Count > 0)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Count} {s.Word}")));

    private static string Strip(LabTrends lab)
    {
        var nights = lab.Runs.Skip(Math.Max(0, lab.Runs.Count - Nights)).Select(r => r.Summary).ToList();
        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"""<svg xmlns="http://www.w3.org/2000/svg" class="nights" viewBox="0 0 {nights.Count * 10} 10" width="{nights.Count * 10}" height="10" role="img" aria-label="{TimelineChart.Escape(string.Join(", ", nights.Select(n => LabTrends.Spelling(n.Outcome))))}">"""));
        for (var i = 0; i < nights.Count; i++)
        {
            // Whole-pixel marks, 10 px a night: no number on the strip depends on a culture.
            var left = i * 10;
            var mark = nights[i].Outcome switch
            {
                RunOutcome.Pass => $"""<circle cx="{left + 5}" cy="5" r="3.5" fill="#000"/>""",
                RunOutcome.Fail => $"""<rect x="{left + 2}" y="2" width="6" height="6" fill="#fff" stroke="#000" stroke-width="1.5"/>""",
                _ => $"""<line x1="{left + 1}" x2="{left + 9}" y1="5" y2="5" stroke="#000" stroke-width="1.5"/>""",
            };
            svg.Append(CultureInfo.InvariantCulture, $"<g>{mark}<title>{TimelineChart.Escape($"{nights[i].RunId}: {LabTrends.Spelling(nights[i].Outcome)}")}</title></g>");
        }

        return svg.Append("</svg>").ToString();
    }
}
