using System.Globalization;
using System.Text;
using ChaosEdge.Measurement.Trials;

namespace ChaosEdge.Reports;

/// <summary>
/// One metric over a scenario's trials as an SVG strip plot: every trial's value as a dot (spread vertically by a fixed
/// sequence, so equal values stay countable and the chart is the same every time), the mean with its 95 % confidence
/// interval as a bar, the median as a tick, the SLA limit as a dashed line and the verdict in the title. Black and
/// greys, print-legible.
/// </summary>
public static class TrialChart
{
    private const int Width = 900;
    private const int Height = 120;
    private const int Left = 20;
    private const int Right = 20;
    private const int Top = 24;
    private const int Strip = 50;

    public static string Render(TrialMetric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var unit = metric.Unit;
        var values = metric.Values.Select((v, i) => (Value: v, Trial: i + 1)).Where(x => x.Value is not null).Select(x => (Value: x.Value!.Value, x.Trial)).ToList();
        var s = metric.Statistics;
        var extent = values.Select(v => v.Value).Append(metric.LimitValue).Concat(new[] { s?.CiLow, s?.CiHigh }.OfType<double>()).ToList();
        var (min, max) = (extent.Min(), extent.Max());
        var pad = Math.Max((max - min) * 0.08, unit == "%" ? 0.05 : 10);
        (min, max) = (unit == "ms" ? Math.Max(0, min - pad) : min - pad, max + pad);
        double X(double v) => Left + ((v - min) / (max - min) * (Width - Left - Right));
        var mid = Top + (Strip / 2.0);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" class="trial-chart" viewBox="0 0 {Width} {Height}" width="{Width}" height="{Height}" role="img" aria-label="{TimelineChart.Escape($"{metric.Threshold.Probe} {metric.Threshold.Metric} over {metric.Values.Count} trials")}">""");
        svg.Append("""<style>text{font:12px sans-serif;fill:#000} .small{font-size:10px}</style>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text class="title" x="{Left}" y="14">{TimelineChart.Escape($"{metric.Threshold.Probe} {metric.Threshold.Metric}: {metric.Outcome.ToString().ToUpperInvariant()} over {metric.Values.Count} trial{(metric.Values.Count == 1 ? string.Empty : "s")} ({values.Count} with a value)")}</text>""");

        if (s is { CiLow: { } low, CiHigh: { } high })
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<g class="ci"><rect x="{X(low):0.0}" y="{mid - 6:0.0}" width="{Math.Max(1, X(high) - X(low)):0.0}" height="12" fill="#d5d8dc" stroke="#555"/><title>{TimelineChart.Escape($"mean {MetricValue.Format(s.Mean, unit)}, 95 % CI [{MetricValue.Format(low, unit)}, {MetricValue.Format(high, unit)}]")}</title></g>""");
        }

        if (s is not null)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="mean" x1="{X(s.Mean):0.0}" x2="{X(s.Mean):0.0}" y1="{mid - 9:0.0}" y2="{mid + 9:0.0}" stroke="#000" stroke-width="2.5"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="median" x1="{X(s.Median):0.0}" x2="{X(s.Median):0.0}" y1="{Top - 2}" y2="{Top + Strip + 2}" stroke="#000" stroke-width="1"><title>median {MetricValue.Format(s.Median, unit)}</title></line>""");
        }

        foreach (var (value, trial) in values)
        {
            // The golden-ratio sequence spreads any number of dots evenly over the strip, the same way every time.
            var y = Top + 4 + ((trial * 0.618034 % 1) * (Strip - 8));
            var fill = metric.Outcomes.Count >= trial && metric.Outcomes[trial - 1] == Measurement.Sla.SlaOutcome.Pass ? "#000" : "#fff";
            svg.Append(CultureInfo.InvariantCulture, $"""<circle class="trial" cx="{X(value):0.0}" cy="{y:0.0}" r="3.5" fill="{fill}" stroke="#000" stroke-width="1.2"><title>{TimelineChart.Escape($"trial {trial}: {MetricValue.Format(value, unit)}")}</title></circle>""");
        }

        var limit = X(metric.LimitValue);
        svg.Append(CultureInfo.InvariantCulture, $"""<line class="threshold" x1="{limit:0.0}" x2="{limit:0.0}" y1="{Top - 4}" y2="{Top + Strip + 4}" stroke="#000" stroke-width="1.5" stroke-dasharray="6,3"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{limit + 3:0.0}" y="{Top + 4}">SLA {TimelineChart.Escape(LimitLabel(metric))}</text>""");

        var axis = Top + Strip + 8;
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" x2="{Width - Right}" y1="{axis}" y2="{axis}" stroke="#000"/>""");
        for (var i = 0; i <= 5; i++)
        {
            var v = min + ((max - min) * i / 5);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{X(v):0.0}" x2="{X(v):0.0}" y1="{axis}" y2="{axis + 5}" stroke="#000"/><text class="small" x="{X(v):0.0}" y="{axis + 17}" text-anchor="middle">{Tick(v, unit)}</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text class="small" x="{Left}" y="{Height - 2}">dots: trials (hollow: not a pass) · grey bar: 95 % CI of the mean · thick tick: mean · thin line: median · dashed: SLA limit</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The limit as the chart labels it: <c>5 s</c>, <c>800 ms</c>, <c>99.9 %</c>.</summary>
    internal static string LimitLabel(TrialMetric metric) =>
        metric.Unit == "%" ? metric.LimitValue.ToString("0.###", CultureInfo.InvariantCulture) + " %"
        : metric.LimitValue >= 1000 ? (metric.LimitValue / 1000).ToString("0.###", CultureInfo.InvariantCulture) + " s"
        : metric.LimitValue.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    private static string Tick(double value, string unit) =>
        unit == "%" ? value.ToString("0.##", CultureInfo.InvariantCulture) + " %"
        : value >= 1000 ? (value / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : value.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
