using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Reports;

/// <summary>
/// Trends across nightly runs: every judged metric of every scenario over the runs found under a history directory
/// (each run's output directory with its <c>nightly.json</c> and run records), its threshold, and regressions flagged —
/// a failed verdict, or the latest one to three nights worse than the nights before them by a rank test (see
/// <see cref="TrendSeries.Regression"/>). A scenario that ran several trials a night (<c>"trials"</c> in
/// <c>nightly.json</c>) brings every trial's value.
/// </summary>
public static class TrendReport
{
    /// <summary>Reads every <c>nightly.json</c> under <paramref name="history"/> (any depth) and the run records it names.</summary>
    public static IReadOnlyList<TrendSeries> Read(string history) => Read(HistoryRun.Find(history));

    /// <summary>The series of the given runs (oldest first) from the run records they name.</summary>
    internal static IReadOnlyList<TrendSeries> Read(IEnumerable<HistoryRun> runs)
    {
        var series = new Dictionary<(string, string, string), (string Unit, List<TrendPoint> Points)>();
        foreach (var (path, summary) in runs)
        {
            foreach (var scenario in summary.Scenarios)
            {
                if (scenario.Trials is { } trialsRelative && Path.Combine(Path.GetDirectoryName(path)!, trialsRelative) is var trialsFile && File.Exists(trialsFile))
                {
                    var trials = TrialsDocument.Read((JsonObject)JsonNode.Parse(File.ReadAllText(trialsFile))!);
                    foreach (var metric in trials.Metrics.Where(m => m.Values.Any(v => v is not null)))
                    {
                        var values = metric.Values.OfType<double>().ToList();
                        Add(series, (scenario.Name, metric.Threshold.Probe, metric.Threshold.Metric.ToString()), metric.Unit,
                            new TrendPoint(summary.RunId, summary.StartedAt, metric.Statistics!.Median, metric.LimitValue, metric.Outcome.ToString(), values));
                    }

                    continue;
                }

                if (scenario.Record is not { } relative || Path.Combine(Path.GetDirectoryName(path)!, relative) is var file && !File.Exists(file))
                {
                    continue;
                }

                var record = (JsonObject)JsonNode.Parse(File.ReadAllText(file))!;
                var figures = (record["figures"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(f => (string)f["probe"]!, StringComparer.Ordinal);
                foreach (var verdict in (record["verdicts"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var probe = (string)verdict["probe"]!;
                    var metric = (string)verdict["metric"]!;
                    if (!figures.TryGetValue(probe, out var f) || Value(f, metric) is not { } value)
                    {
                        continue;
                    }

                    Add(series, (scenario.Name, probe, metric), metric == "Availability" ? "%" : "ms",
                        new TrendPoint(summary.RunId, summary.StartedAt, value, Limit((string?)verdict["limit"]), (string?)verdict["outcome"] ?? "?"));
                }
            }
        }

        return [.. series.Select(s => new TrendSeries(s.Key.Item1, s.Key.Item2, s.Key.Item3, s.Value.Unit, s.Value.Points)).OrderBy(s => s.Scenario, StringComparer.Ordinal).ThenBy(s => s.Probe, StringComparer.Ordinal).ThenBy(s => s.Metric, StringComparer.Ordinal)];
    }

    private static void Add(Dictionary<(string, string, string), (string Unit, List<TrendPoint> Points)> series, (string, string, string) key, string unit, TrendPoint point)
    {
        if (!series.TryGetValue(key, out var entry))
        {
            entry = (unit, []);
            series[key] = entry;
        }

        entry.Points.Add(point);
    }

    /// <summary>The trend page: a chart per series (value per run, the threshold as a dashed line) and the regressions first.</summary>
    public static string Render(IReadOnlyList<TrendSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var html = new StringBuilder(Head("ChaosEdge trends"));
        var regressions = series.Where(s => s.Regression is not null).ToList();
        html.Append(CultureInfo.InvariantCulture, $"<h2>Regressions ({regressions.Count})</h2>");
        html.Append(regressions.Count == 0 ? "<p>None: every latest value is within its history and its SLA.</p>" : "<ul>" + string.Concat(regressions.Select(r => $"<li class=\"regression\">{TimelineChart.Escape($"{r.Name}: {r.Regression}")}</li>")) + "</ul>");
        foreach (var scenario in series.GroupBy(s => s.Scenario))
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>{TimelineChart.Escape(scenario.Key)}</h2>");
            foreach (var s in scenario)
            {
                html.Append(CultureInfo.InvariantCulture, $"""<section class="trend"><h3>{TimelineChart.Escape($"{s.Probe} {s.Metric}")}{(s.Regression is { } r ? $" — <span class=\"regression\">regression: {TimelineChart.Escape(r)}</span>" : string.Empty)}</h3>""");
                html.Append(Chart(s));
                html.Append("</section>");
            }
        }

        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>
    /// The start of a trend page up to its heading: <paramref name="title"/> (HTML, escaped by the caller) as title and
    /// heading, and the trend pages' one style block with <paramref name="css"/> added to it.
    /// </summary>
    internal static string Head(string title, string css = "") => $$"""
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{title}}</title>
        <style>body{font:11pt/1.4 sans-serif;max-width:960px;margin:24px auto} table{border-collapse:collapse;width:100%} th,td{border:1px solid #777;padding:3px 6px;font-size:9.5pt;text-align:left} th{background:#e5e5e5} .regression{font-weight:bold;text-decoration:underline} section{break-inside:avoid}{{css}}</style>
        </head><body><h1>{{title}}</h1>
        """;

    private static string Chart(TrendSeries s)
    {
        const int W = 900, H = 160, L = 70, R = 20, T = 12, B = 30;
        var values = s.Points.SelectMany(p => p.Samples).Concat(s.Points.Select(p => p.Limit).OfType<double>()).ToList();
        var max = values.Count == 0 ? 1 : values.Max() * 1.1;
        var min = s.Unit == "%" ? Math.Min(values.DefaultIfEmpty(0).Min() - 0.5, 99) : 0;
        max = Math.Max(max, min + 1);
        double X(int i) => L + (s.Points.Count <= 1 ? 0 : (double)i / (s.Points.Count - 1) * (W - L - R));
        double Y(double v) => T + ((max - v) / (max - min) * (H - T - B));
        var svg = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%">"""));
        svg.Append("""<style>text{font:10px sans-serif}</style>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{L}" x2="{L}" y1="{T}" y2="{H - B}" stroke="#000"/><line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="#000"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{L - 4}" y="{T + 8}" text-anchor="end">{max:0.#} {s.Unit}</text><text x="{L - 4}" y="{H - B}" text-anchor="end">{min:0.#} {s.Unit}</text>""");
        if (s.Points.LastOrDefault()?.Limit is { } limit)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="threshold" x1="{L}" x2="{W - R}" y1="{Y(limit):0.0}" y2="{Y(limit):0.0}" stroke="#000" stroke-dasharray="6,3"/><text x="{W - R}" y="{Y(limit) - 3:0.0}" text-anchor="end">SLA {limit:0.###} {s.Unit}</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="median" fill="none" stroke="#555" stroke-width="1.5" points="{string.Join(' ', s.Points.Select((p, i) => $"{X(i):0.0},{Y(p.Value):0.0}"))}"/>""");
        for (var i = 0; i < s.Points.Count; i++)
        {
            var p = s.Points[i];
            for (var j = 0; j < p.Samples.Count; j++)
            {
                // A night's trials spread a little sideways (deterministically) so equal values stay countable.
                var x = X(i) + (p.Samples.Count == 1 ? 0 : (((j * 0.618034) % 1) - 0.5) * 10);
                var v = p.Samples[j];
                var shape = p.Outcome == "Pass" ? $"""<circle class="point" cx="{x:0.0}" cy="{Y(v):0.0}" r="3" fill="#000"/>""" : $"""<rect class="point" x="{x - 3.5:0.0}" y="{Y(v) - 3.5:0.0}" width="7" height="7" fill="#fff" stroke="#000" stroke-width="1.5"/>""";
                svg.Append(CultureInfo.InvariantCulture, $"<g>{shape}<title>{TimelineChart.Escape($"{p.RunId}: {v:0.###} {s.Unit} ({p.Outcome})")}</title></g>");
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(i):0.0}" y="{H - B + 14}" text-anchor="middle">{TimelineChart.Escape(p.RunId.Length > 13 ? p.RunId[..13] : p.RunId)}</text>""");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static double? Value(JsonObject figures, string metric) => metric switch
    {
        "Takeover" => (double?)figures["takeoverMs"],
        "LongestOutage" => (double?)figures["longestOutageMs"],
        "DuplicateOwner" => (double?)figures["duplicateOwnerMs"],
        "LatencyP99" => (double?)figures["latencyMs"]?["p99"],
        "LatencyMax" => (double?)figures["latencyMs"]?["max"],
        "Availability" => (double?)figures["availability"] * 100,
        _ => null,
    };

    private static double? Limit(string? text) =>
        text is null ? null
        : text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) ? percent
        : ValueParsers.TryParseDuration(text, out var duration) ? duration.TotalMilliseconds : null;
}
