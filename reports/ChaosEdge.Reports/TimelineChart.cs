using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ChaosEdge.Reports;

/// <summary>
/// A scenario's timeline as an SVG drawn from its run record: one band per probe (available, and each outage hatched
/// so it reads in greyscale), the fault and restore markers, the takeover interval annotated on each probe that has one,
/// and the time axis in seconds. Everything is drawn in black and greys plus one accent, at print-legible sizes.
/// </summary>
public static class TimelineChart
{
    private const int Width = 900;
    private const int Left = 150;
    private const int Right = 20;
    private const int Row = 22;
    private const int Top = 28;

    public static string Render(JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var figures = (record["figures"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var events = (record["events"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var end = Math.Max(1, figures.Select(f => (double?)f["windowEndMs"] ?? 0).DefaultIfEmpty(0).Max());
        var start = figures.Select(f => (double?)f["windowStartMs"] ?? 0).DefaultIfEmpty(0).Min();
        var plot = Width - Left - Right;
        double X(double ms) => Left + (Math.Clamp(ms, start, end) - start) / (end - start) * plot;
        var height = Top + (figures.Count * Row) + 40;

        // Ids in the chart are unique in a report that holds many charts.
        var scenarioId = new string([.. ((string?)record["context"]?["scenario"] ?? "run").Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {Width} {height}" width="{Width}" height="{height}" role="img" aria-label="Timeline of {Escape((string?)record["context"]?["scenario"] ?? "the scenario")}">""");
        svg.Append("""<style>text{font:12px sans-serif;fill:#000} .small{font-size:10px}</style>""");

        for (var i = 0; i < figures.Count; i++)
        {
            var f = figures[i];
            var y = Top + (i * Row);
            var probe = (string?)f["probe"] ?? "?";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 8}" y="{y + 14}" text-anchor="end">{Escape(probe)}</text>""");
            var from = X((double?)f["windowStartMs"] ?? start);
            var to = X((double?)f["windowEndMs"] ?? end);
            svg.Append(CultureInfo.InvariantCulture, $"""<rect class="up" x="{from:0.0}" y="{y + 3}" width="{Math.Max(0, to - from):0.0}" height="{Row - 8}" fill="#d5d8dc" stroke="#555" stroke-width="0.5"/>""");
            var outages = (f["outages"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(o => (Start: (double?)o["startMs"] ?? 0, Duration: (double?)o["durationMs"] ?? 0)).ToList();
            if (outages.Count > 0)
            {
                // All of a band's outages are one hatched path, drawn at the chart's resolution: outages closer than a
                // tenth of a unit (about 0.02 mm printed) share a stroke, so a flapping probe's hundreds of outages cost
                // a few path segments, not a patterned element each; every edge that can be seen stays exact.
                var path = new StringBuilder();
                var spans = OutageSpans(outages.Select(o => (X(o.Start), X(o.Start + o.Duration)))).ToList();
                foreach (var (from0, to0) in spans)
                {
                    path.Append(CultureInfo.InvariantCulture, $"M{from0:0.0} {y + 3}h{to0 - from0:0.0}v{Row - 8}h{from0 - to0:0.0}z");
                }

                // Hatched, so it reads in greyscale: black diagonals clipped to the spans. Not an SVG pattern, which a PDF
                // printer turns into images.
                var longest = outages.Max(o => o.Duration);
                var clip = $"outages-{scenarioId}-{i.ToString(CultureInfo.InvariantCulture)}";
                svg.Append(CultureInfo.InvariantCulture, $"""<clipPath id="{clip}"><path d="{path}"/></clipPath>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<path class="outage" data-outages="{outages.Count}" d="{path}" fill="#c0392b"><title>{Escape(probe)}: {outages.Count} outage{(outages.Count == 1 ? string.Empty : "s")}, the longest {Seconds(longest)}</title></path>""");
                var hatch = new StringBuilder();
                for (var x = spans[0].From - (Row - 8); x <= spans.Max(sp => sp.To); x += 8.5)
                {
                    hatch.Append(CultureInfo.InvariantCulture, $"M{x:0.0} {y + Row - 5}l{Row - 8} -{Row - 8}");
                }

                svg.Append(CultureInfo.InvariantCulture, $"""<path d="{hatch}" stroke="#000" stroke-width="2.5" clip-path="url(#{clip})"/>""");
            }

            if ((double?)f["takeoverMs"] is { } takeover && takeover > 0 && (double?)f["faultTookEffectMs"] is { } effect)
            {
                var ts = X(effect);
                var te = X(effect + takeover);
                svg.Append(CultureInfo.InvariantCulture, $"""<line class="takeover" x1="{ts:0.0}" x2="{te:0.0}" y1="{y + Row - 3}" y2="{y + Row - 3}" stroke="#000" stroke-width="1.5" marker-end="none"/>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{Math.Min(te + 4, Width - Right - 90):0.0}" y="{y + Row - 6}">takeover {Seconds(takeover)}</text>""");
            }
        }

        var bottom = Top + (figures.Count * Row);
        foreach (var e in events)
        {
            var kind = (string?)e["kind"];
            var (label, dash) = kind switch
            {
                "FaultTookEffect" => ("fault", "6,3"),
                "FaultRestored" => ("restore", "2,2"),
                _ => (null, null),
            };
            if (label is null)
            {
                continue;
            }

            var x = X((double?)e["atMs"] ?? 0);
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="marker {label}" x1="{x:0.0}" x2="{x:0.0}" y1="{Top - 6}" y2="{bottom}" stroke="#000" stroke-width="1.5" stroke-dasharray="{dash}"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x + 3:0.0}" y="{Top - 10}" class="small">{label} {Seconds((double?)e["atMs"] ?? 0)}</text>""");
        }

        // Time axis: a tick every 'step' seconds.
        var step = NiceStep((end - start) / 1000 / 8);
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Width - Right}" y1="{bottom + 4}" y2="{bottom + 4}" stroke="#000"/>""");
        for (var t = Math.Ceiling(start / 1000 / step) * step; t * 1000 <= end; t += step)
        {
            var x = X(t * 1000);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:0.0}" x2="{x:0.0}" y1="{bottom + 4}" y2="{bottom + 9}" stroke="#000"/><text class="small" x="{x:0.0}" y="{bottom + 21}" text-anchor="middle">{t:0.#} s</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{Left}" y="{bottom + 36}">grey: answering · hatched: outage · dashed: fault took effect · dotted: restore began · bar under a band: takeover</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// The drawn spans of outages given as chart x ranges: each at least <see cref="MinOutageWidth"/> wide (so a single
    /// lost sample shows), in order, and merged where they touch or lie within a tenth of a unit of each other.
    /// </summary>
    internal static IEnumerable<(double From, double To)> OutageSpans(IEnumerable<(double From, double To)> outages)
    {
        (double From, double To)? current = null;
        foreach (var (from, to) in outages.Select(o => (o.From, To: Math.Max(o.To, o.From + MinOutageWidth))).OrderBy(o => o.From))
        {
            if (current is { } c && from <= c.To + 0.1)
            {
                current = (c.From, Math.Max(c.To, to));
                continue;
            }

            if (current is { } done)
            {
                yield return done;
            }

            current = (from, to);
        }

        if (current is { } last)
        {
            yield return last;
        }
    }

    /// <summary>The narrowest outage drawn, in chart units (900 across the page): about 0.3 mm printed.</summary>
    internal const double MinOutageWidth = 1.5;

    /// <summary>A tick step in seconds for an axis: the first of 0.5, 1, 2, 5, … 300 s at least <paramref name="raw"/>.</summary>
    internal static double NiceStep(double raw)
    {
        foreach (var candidate in new[] { 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300 })
        {
            if (candidate >= raw)
            {
                return candidate;
            }
        }

        return 600;
    }

    internal static string Seconds(double ms) => (ms / 1000).ToString("0.000", CultureInfo.InvariantCulture) + " s";

    internal static string Escape(string text) => WebUtility.HtmlEncode(text);
}
