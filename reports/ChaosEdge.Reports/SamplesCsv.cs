using System.Globalization;
using System.Text;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Reports;

/// <summary>Every raw sample of a timeline as CSV: probe, offset from the timeline's start, latency, outcome, detail.</summary>
public static class SamplesCsv
{
    public static string Render(RunTimeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var text = new StringBuilder("probe,offset_ms,latency_us,outcome,detail\n");
        foreach (var probe in timeline.Probes)
        {
            foreach (var s in probe.Samples.ToSortedArray())
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{probe.Name},{timeline.Offset(s.Timestamp).TotalMilliseconds:0.000},{s.LatencyMicroseconds},{s.Outcome},{s.Detail}");
            }
        }

        return text.ToString();
    }
}
