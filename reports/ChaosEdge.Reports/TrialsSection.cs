using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Reports;

/// <summary>
/// A scenario's repeated trials as an HTML section for the acceptance report: a table of every metric (n, median, p95,
/// max, the 95 % confidence interval of the mean, the limit, the verdict and why) and a <see cref="TrialChart"/> each.
/// </summary>
public static class TrialsSection
{
    /// <param name="trialsDocument">A <c>trials.json</c> (<see cref="TrialsDocument"/>).</param>
    public static string Render(JsonObject trialsDocument)
    {
        var run = TrialsDocument.Read(trialsDocument);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""<section class="trials"><h3>{TimelineChart.Escape($"{run.Scenario}: {run.Trials} trial{(run.Trials == 1 ? string.Empty : "s")}")}</h3>""");
        html.Append("""<table class="trials"><thead><tr><th>Probe</th><th>Metric</th><th>n</th><th>Median</th><th>p95</th><th>Max</th><th>95 % CI</th><th>Limit</th><th>Verdict</th><th>Reason</th></tr></thead><tbody>""");
        foreach (var m in run.Metrics)
        {
            var s = m.Statistics;
            string F(double? v) => v is { } x ? TimelineChart.Escape(MetricValue.Format(x, m.Unit)) : "-";
            var ci = s is { CiLow: { } low, CiHigh: { } high } ? $"[{F(low)}, {F(high)}]" : "-";
            html.Append(CultureInfo.InvariantCulture, $"""<tr class="{m.Outcome.ToString().ToLowerInvariant()}"><td>{TimelineChart.Escape(m.Threshold.Probe)}</td><td>{m.Threshold.Metric}</td><td>{s?.N ?? 0}/{m.Values.Count}</td><td>{F(s?.Median)}</td><td>{F(s?.P95)}</td><td>{F(s?.Max)}</td><td>{ci}</td><td>{TimelineChart.Escape(m.Threshold.Text)}</td><td>{m.Outcome.ToString().ToUpperInvariant()}</td><td>{TimelineChart.Escape(m.Reason)}</td></tr>""");
        }

        html.Append("</tbody></table>");
        foreach (var m in run.Metrics.Where(m => m.Statistics is not null))
        {
            html.Append("""<figure class="trial-chart">""").Append(TrialChart.Render(m)).Append("</figure>");
        }

        html.Append("</section>");
        return html.ToString();
    }
}
