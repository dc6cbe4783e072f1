using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;

namespace ChaosEdge.Reports;

/// <summary>One judged metric's value in one nightly run.</summary>
public sealed record TrendPoint(string RunId, string StartedAt, double Value, double? Limit, string Outcome);

/// <summary>One scenario's metric (probe + metric) over the nightly runs, oldest first, and whether its latest value regressed.</summary>
public sealed record TrendSeries(string Scenario, string Probe, string Metric, string Unit, IReadOnlyList<TrendPoint> Points)
{
    /// <summary>Runs needed before the latest value is compared with the historical p95.</summary>
    public const int MinimumHistory = 3;

    /// <summary>The 95th percentile of every run before the latest (nearest rank); null with too little history.</summary>
    public double? HistoricalP95 => Points.Count - 1 < MinimumHistory ? null : Percentile95([.. Points.Take(Points.Count - 1).Select(p => p.Value)]);

    /// <summary>Why the latest value is a regression, or null: it failed its verdict, or it is worse than the historical p95.</summary>
    public string? Regression
    {
        get
        {
            if (Points.Count == 0)
            {
                return null;
            }

            var latest = Points[^1];
            if (latest.Outcome == "Fail")
            {
                return $"failed its SLA in run {latest.RunId}";
            }

            var higherIsBetter = Unit == "%";
            return HistoricalP95 is { } p95 && (higherIsBetter ? latest.Value < Percentile5() : latest.Value > p95)
                ? string.Create(CultureInfo.InvariantCulture, $"{latest.Value:0.###} {Unit} in run {latest.RunId} is worse than the historical {(higherIsBetter ? "p5" : "p95")} {(higherIsBetter ? Percentile5() : p95):0.###} {Unit}")
                : null;
        }
    }

    private double Percentile5()
    {
        var values = Points.Take(Points.Count - 1).Select(p => p.Value).Order().ToList();
        return values[Math.Max(0, (int)Math.Ceiling(0.05 * values.Count) - 1)];
    }

    private static double Percentile95(List<double> values)
    {
        values.Sort();
        return values[Math.Max(0, (int)Math.Ceiling(0.95 * values.Count) - 1)];
    }
}

/// <summary>
/// Trends across nightly runs: every judged metric of every scenario over the runs found under a history directory
/// (each run's output directory with its <c>nightly.json</c> and run records), its threshold, and regressions flagged —
/// a failed verdict, or a value worse than the 95th percentile of the runs before it.
/// </summary>
public static class TrendReport
{
    /// <summary>Reads every <c>nightly.json</c> under <paramref name="history"/> (any depth) and the run records it names.</summary>
    public static IReadOnlyList<TrendSeries> Read(string history)
    {
        var runs = Directory.EnumerateFiles(history, "nightly.json", SearchOption.AllDirectories)
            .Select(path => (Path: path, Summary: JsonNode.Parse(File.ReadAllText(path)) as JsonObject))
            .Where(r => r.Summary is not null && (string?)r.Summary["schema"] == "chaosedge.nightly/1")
            .OrderBy(r => (string?)r.Summary!["startedAt"], StringComparer.Ordinal)
            .ToList();
        var series = new Dictionary<(string, string, string), (string Unit, List<TrendPoint> Points)>();
        foreach (var (path, summary) in runs)
        {
            foreach (var scenario in (summary!["scenarios"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)scenario["record"] is not { } relative || Path.Combine(Path.GetDirectoryName(path)!, relative) is var file && !File.Exists(file))
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

                    var key = ((string)scenario["name"]!, probe, metric);
                    if (!series.TryGetValue(key, out var entry))
                    {
                        entry = (metric == "Availability" ? "%" : "ms", []);
                        series[key] = entry;
                    }

                    entry.Points.Add(new TrendPoint((string?)summary["runId"] ?? "?", (string?)summary["startedAt"] ?? "?", value, Limit((string?)verdict["limit"]), (string?)verdict["outcome"] ?? "?"));
                }
            }
        }

        return [.. series.Select(s => new TrendSeries(s.Key.Item1, s.Key.Item2, s.Key.Item3, s.Value.Unit, s.Value.Points)).OrderBy(s => s.Scenario, StringComparer.Ordinal).ThenBy(s => s.Probe, StringComparer.Ordinal).ThenBy(s => s.Metric, StringComparer.Ordinal)];
    }

    /// <summary>The trend page: a chart per series (value per run, the threshold as a dashed line) and the regressions first.</summary>
    public static string Render(IReadOnlyList<TrendSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var html = new StringBuilder("""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ChaosEdge trends</title>
            <style>body{font:11pt/1.4 sans-serif;max-width:960px;margin:24px auto} table{border-collapse:collapse;width:100%} th,td{border:1px solid #777;padding:3px 6px;font-size:9.5pt;text-align:left} th{background:#e5e5e5} .regression{font-weight:bold;text-decoration:underline} section{break-inside:avoid}</style>
            </head><body><h1>ChaosEdge trends</h1>
            """);
        var regressions = series.Where(s => s.Regression is not null).ToList();
        html.Append(CultureInfo.InvariantCulture, $"<h2>Regressions ({regressions.Count})</h2>");
        html.Append(regressions.Count == 0 ? "<p>None: every latest value is within its history and its SLA.</p>" : "<ul>" + string.Concat(regressions.Select(r => $"<li class=\"regression\">{TimelineChart.Escape($"{r.Scenario} {r.Probe} {r.Metric}: {r.Regression}")}</li>")) + "</ul>");
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

    private static string Chart(TrendSeries s)
    {
        const int W = 900, H = 160, L = 70, R = 20, T = 12, B = 30;
        var values = s.Points.Select(p => p.Value).Concat(s.Points.Select(p => p.Limit).OfType<double>()).ToList();
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

        svg.Append(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="#000" stroke-width="1.5" points="{string.Join(' ', s.Points.Select((p, i) => $"{X(i):0.0},{Y(p.Value):0.0}"))}"/>""");
        for (var i = 0; i < s.Points.Count; i++)
        {
            var p = s.Points[i];
            var shape = p.Outcome == "Pass" ? $"""<circle class="point" cx="{X(i):0.0}" cy="{Y(p.Value):0.0}" r="3.5" fill="#000"/>""" : $"""<rect class="point" x="{X(i) - 4:0.0}" y="{Y(p.Value) - 4:0.0}" width="8" height="8" fill="#fff" stroke="#000" stroke-width="1.5"/>""";
            svg.Append(CultureInfo.InvariantCulture, $"<g>{shape}<title>{TimelineChart.Escape($"{p.RunId}: {p.Value:0.###} {s.Unit} ({p.Outcome})")}</title></g>");
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
