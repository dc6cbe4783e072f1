using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Reports;

/// <summary>One judged metric in one nightly run: its value (the median of the night's trials), and each trial's value.</summary>
/// <param name="RunId">The nightly run.</param>
/// <param name="StartedAt">When it started (ISO 8601).</param>
/// <param name="Value">The night's value: the single run's, or the median of its trials.</param>
/// <param name="Limit">The threshold in the series' unit.</param>
/// <param name="Outcome">The night's verdict (over all its trials).</param>
/// <param name="Values">Every trial's value; <c>null</c> means the one <paramref name="Value"/>.</param>
public sealed record TrendPoint(string RunId, string StartedAt, double Value, double? Limit, string Outcome, IReadOnlyList<double>? Values = null)
{
    /// <summary>The night's values: each trial's, or the one value.</summary>
    public IReadOnlyList<double> Samples => Values ?? [Value];
}

/// <summary>One scenario's metric (probe + metric) over the nightly runs, oldest first, and whether its latest nights regressed.</summary>
public sealed record TrendSeries(string Scenario, string Probe, string Metric, string Unit, IReadOnlyList<TrendPoint> Points)
{
    /// <summary>Values needed before the latest nights before they are compared with them: 3.</summary>
    public const int MinimumHistory = 3;

    /// <summary>The most latest nights pooled against the nights before them: 3.</summary>
    public const int MaximumRecentNights = 3;

    /// <summary>
    /// The family-wise p-value below which a shift counts: 0.05 over the three looks (k = 1, 2, 3), so each look is
    /// tested at 0.05 / 3 (Bonferroni). Without the correction one trial a night raised a false alarm on about 10 % of
    /// simulated histories over four nights; a +500 ms shift with six nights before it is still flagged by the third
    /// night (all three above all six: exact p = 1/84).
    /// </summary>
    public const double Significance = 0.05;

    /// <summary>The p-value each look is tested at: <see cref="Significance"/> / <see cref="MaximumRecentNights"/>.</summary>
    public const double PerLook = Significance / MaximumRecentNights;

    /// <summary>The least shift that counts: 100 ms, or 0.1 percentage points of availability.</summary>
    public double MinimumShift => Unit == "%" ? 0.1 : 100;

    /// <summary>
    /// Why the latest night is a regression, or null: it failed its verdict; or, for the latest k = 1, 2, 3 nights
    /// pooled against every night before them (at least <see cref="MinimumHistory"/> values), a one-sided
    /// Mann–Whitney U test finds them worse with p &lt; 0.05 / 3 (one look per k) and the Hodges–Lehmann shift is at least
    /// <see cref="MinimumShift"/>. The smallest such k is named.
    /// </summary>
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

            return Shift() is { } shift
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{(shift.Nights == 1 ? "the latest night" : $"the latest {shift.Nights} nights")} ({string.Join(", ", Points.Skip(Points.Count - shift.Nights).Select(p => p.RunId))}) {(shift.Nights == 1 ? "is" : "are")} worse than the {Points.Count - shift.Nights} before {(shift.Nights == 1 ? "it" : "them")} by {shift.Result.Shift:0.###} {(Unit == "%" ? "pp" : Unit)} (Hodges–Lehmann shift; one-sided Mann–Whitney p = {shift.Result.P:0.####}, k = {shift.Nights})")
                : null;
        }
    }

    /// <summary>
    /// The smallest k (latest nights) whose values are significantly and materially worse than the nights before them,
    /// with the test's result; its shift is positive in the worse direction (slower, or less available).
    /// </summary>
    public (int Nights, RankTestResult Result)? Shift()
    {
        // Worse is larger for times and smaller for availability: negate availability so one test serves both.
        var sign = Unit == "%" ? -1 : 1;
        for (var k = 1; k <= MaximumRecentNights && k < Points.Count; k++)
        {
            var before = Points.Take(Points.Count - k).SelectMany(p => p.Samples).Select(v => sign * v).ToList();
            var recent = Points.Skip(Points.Count - k).SelectMany(p => p.Samples).Select(v => sign * v).ToList();
            if (before.Count < MinimumHistory || recent.Count == 0)
            {
                continue;
            }

            var result = RankTest.Greater(recent, before);
            if (result.P < PerLook && result.Shift >= MinimumShift)
            {
                return (k, result);
            }
        }

        return null;
    }
}

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
    public static IReadOnlyList<TrendSeries> Read(string history)
    {
        var runs = Directory.EnumerateFiles(history, "nightly.json", SearchOption.AllDirectories)
            .Select(path => (Path: path, Summary: NightlySummary.TryRead(path)))
            .Where(r => r.Summary is not null)
            .OrderBy(r => r.Summary!.StartedAt, StringComparer.Ordinal)
            .ToList();
        var series = new Dictionary<(string, string, string), (string Unit, List<TrendPoint> Points)>();
        foreach (var (path, summary) in runs)
        {
            foreach (var scenario in summary!.Scenarios)
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
