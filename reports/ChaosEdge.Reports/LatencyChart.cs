using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Record;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Reports;

/// <summary>
/// Latency over time from a run record's raw samples: for the API, VIP and service-VIP probes, the slowest successful
/// answer in each slice of the run, on a logarithmic scale (0.1 ms to 10 s), with the fault and restore markers. The
/// probes are told apart by shade and width — a wide light line under a middle one under a thin black one — so the
/// chart reads in greyscale. Not by dash pattern: a PDF printer turns every dash into a path of its own, which made the
/// latency charts half of a report's PDF.
/// </summary>
public static class LatencyChart
{
    private const int Width = 900;
    private const int Left = 150;
    private const int Right = 20;
    private const int Top = 20;
    private const int Plot = 150;
    private const int Slices = 300;

    // Drawn in this order: widest and lightest first.
    private static readonly (string Probe, string Shade, double Stroke)[] Lines =
    [
        ("vip-tcp", "#b0b0b0", 3.2),
        ("service-vip-tcp", "#606060", 1.6),
        ("api-readyz-fresh", "#000", 0.9),
    ];

    /// <summary>The chart, or an empty string when the record keeps none of those probes' samples.</summary>
    public static string Render(JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var probes = (record["probes"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(p => (string?)p["name"] ?? string.Empty, StringComparer.Ordinal);
        var series = new List<(string Probe, string Shade, double Stroke, Sample[] Samples)>();
        foreach (var (probe, shade, stroke) in Lines)
        {
            if (probes.TryGetValue(probe, out var p) && (string?)p["samples"]?["encoding"] == SampleCodec.Encoding && (string?)p["samples"]?["data"] is { Length: > 0 } data)
            {
                series.Add((probe, shade, stroke, SampleCodec.Decode(Convert.FromBase64String(data))));
            }
        }

        if (series.Count == 0)
        {
            return string.Empty;
        }

        var figures = (record["figures"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var start = figures.Select(f => (double?)f["windowStartMs"] ?? 0).DefaultIfEmpty(0).Min();
        var end = Math.Max(start + 1, figures.Select(f => (double?)f["windowEndMs"] ?? 0).DefaultIfEmpty(1).Max());
        var plotWidth = Width - Left - Right;
        double X(double ms) => Left + ((Math.Clamp(ms, start, end) - start) / (end - start) * plotWidth);
        double Y(double ms) => Top + ((4 - Math.Log10(Math.Clamp(ms, 0.1, 10_000))) / 5 * Plot);
        var height = Top + Plot + 44;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" class="latency" viewBox="0 0 {Width} {height}" width="{Width}" height="{height}" role="img" aria-label="Latency over time">""");
        svg.Append("""<style>text{font:12px sans-serif;fill:#000} .small{font-size:10px}</style>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 8}" y="{Top - 6}" text-anchor="end" class="small">latency</text>""");
        foreach (var tick in new[] { 0.1, 1, 10, 100, 1000, 10_000 })
        {
            var y = Y(tick);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Width - Right}" y1="{y:0.0}" y2="{y:0.0}" stroke="#ccc" stroke-width="0.5"/><text class="small" x="{Left - 6}" y="{y + 3:0.0}" text-anchor="end">{(tick >= 1000 ? $"{tick / 1000:0} s" : $"{tick:0.#} ms")}</text>""");
        }

        foreach (var e in (record["events"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var dash = (string?)e["kind"] switch { "FaultTookEffect" => "6,3", "FaultRestored" => "2,2", _ => null };
            if (dash is not null)
            {
                var x = X((double?)e["atMs"] ?? 0);
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:0.0}" x2="{x:0.0}" y1="{Top}" y2="{Top + Plot}" stroke="#000" stroke-dasharray="{dash}"/>""");
            }
        }

        var slice = (end - start) / Slices;
        var legend = Left;
        foreach (var (probe, shade, stroke, samples) in series)
        {
            var slowest = new double[Slices];
            foreach (var s in samples)
            {
                var ms = s.Timestamp / 1000.0;
                if (s.Succeeded && ms >= start && ms < end)
                {
                    var i = Math.Min(Slices - 1, (int)((ms - start) / slice));
                    slowest[i] = Math.Max(slowest[i], Math.Max(0.1, s.LatencyMicroseconds / 1000.0));
                }
            }

            // One polyline per run of slices with answers: a slice without one (an outage) is a gap, not a line to zero.
            var points = new List<string>();
            void Flush()
            {
                if (points.Count > 0)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="latency-line" fill="none" stroke="{shade}" stroke-width="{stroke}" stroke-linejoin="round" points="{string.Join(' ', points)}"><title>{TimelineChart.Escape(probe)}</title></polyline>""");
                    points.Clear();
                }
            }

            for (var i = 0; i < Slices; i++)
            {
                if (slowest[i] > 0)
                {
                    points.Add(string.Create(CultureInfo.InvariantCulture, $"{X(start + ((i + 0.5) * slice)):0.0},{Y(slowest[i]):0.0}"));
                }
                else
                {
                    Flush();
                }
            }

            Flush();
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{legend}" x2="{legend + 28}" y1="{Top + Plot + 30}" y2="{Top + Plot + 30}" stroke="{shade}" stroke-width="{stroke}"/><text class="small" x="{legend + 32}" y="{Top + Plot + 33}">{TimelineChart.Escape(probe)}</text>""");
            legend += 170;
        }

        var nice = TimelineChart.NiceStep((end - start) / 1000 / 8);
        for (var t = Math.Ceiling(start / 1000 / nice) * nice; t * 1000 <= end; t += nice)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{X(t * 1000):0.0}" y="{Top + Plot + 14}" text-anchor="middle">{t:0.#} s</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{Width - Right}" y="{Top + Plot + 33}" text-anchor="end">slowest successful answer per {slice / 1000:0.00} s</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
