using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Analysis;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Record;

/// <summary>
/// The run record: one JSON file (schema <c>chaosedge.run/1</c>) with every probe's raw samples (compact, see
/// <see cref="SampleCodec"/>), the events, and the figures computed from them, so reports and trends can be recomputed
/// later from the samples alone.
/// </summary>
public static class RunRecord
{
    public const string Schema = "chaosedge.run/1";

    public static JsonObject Build(RunTimeline timeline, IEnumerable<ProbeFigures> figures, IReadOnlyDictionary<string, string>? context = null, IEnumerable<SlaVerdict>? verdicts = null)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var probes = new JsonArray();
        foreach (var probe in timeline.Probes)
        {
            var samples = probe.Samples.ToSortedArray();
            probes.Add(new JsonObject
            {
                ["name"] = probe.Name, ["kind"] = probe.Kind, ["target"] = probe.Target,
                ["intervalMs"] = probe.Interval.TotalMilliseconds, ["timeoutMs"] = probe.Timeout.TotalMilliseconds,
                ["owners"] = new JsonArray([.. probe.Owners.Select(o => (JsonNode)o)]),
                ["clockErrorMs"] = probe.ClockError is { } error ? Ms(error) : null,
                ["sampleCount"] = samples.Length,
                ["samples"] = new JsonObject { ["encoding"] = SampleCodec.Encoding, ["data"] = Convert.ToBase64String(SampleCodec.Encode(samples, timeline.Clock, timeline.StartTimestamp)) },
            });
        }

        return new JsonObject
        {
            ["schema"] = Schema,
            ["startedAt"] = timeline.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["context"] = new JsonObject([.. (context ?? new Dictionary<string, string>()).Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))]),
            ["probes"] = probes,
            ["events"] = new JsonArray([.. timeline.Events.Select(e => (JsonNode)new JsonObject
            {
                ["atMs"] = Ms(timeline.Offset(e.Timestamp)), ["kind"] = e.Kind.ToString(), ["subject"] = e.Subject, ["detail"] = e.Detail,
            })]),
            ["figures"] = JsonSerializer.SerializeToNode(figures.Select(Figures).ToList()),
            ["verdicts"] = new JsonArray([.. (verdicts ?? []).Select(v => (JsonNode)new JsonObject
            {
                ["probe"] = v.Threshold.Probe, ["metric"] = v.Threshold.Metric.ToString(), ["limit"] = v.Threshold.Text, ["source"] = v.Threshold.Source, ["entry"] = v.Threshold.Entry,
                ["outcome"] = v.Outcome.ToString(), ["measured"] = v.Measured, ["margin"] = v.Margin, ["reason"] = v.Reason,
            })]),
        };
    }

    public static async Task WriteAsync(string path, JsonObject record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, record.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    private static Dictionary<string, object?> Figures(ProbeFigures f) => new()
    {
        ["probe"] = f.Probe, ["resolutionMs"] = Ms(f.Resolution), ["windowStartMs"] = Ms(f.WindowStart), ["windowEndMs"] = Ms(f.WindowEnd),
        ["samples"] = f.Samples, ["failures"] = f.Failures, ["missedSamples"] = f.MissedSamples, ["largestGapMs"] = f.LargestGap.TotalMilliseconds, ["availability"] = f.Availability,
        ["longestOutageMs"] = Ms(f.LongestOutage), ["faultTookEffectMs"] = f.FaultTookEffect is { } e ? Ms(e) : null,
        ["takeoverMs"] = f.TakeoverTime is { } t ? Ms(t) : null, ["recovered"] = f.Recovered,
        ["outages"] = f.Outages.Select(o => new Dictionary<string, object?> { ["startMs"] = Ms(o.Start), ["endMs"] = o.End is { } end ? Ms(end) : null, ["durationMs"] = Ms(o.Duration), ["failedSamples"] = o.FailedSamples, ["cause"] = o.Cause }).ToList(),
        ["errors"] = f.Errors,
        ["latencyMs"] = f.Latency is { } l ? new Dictionary<string, double> { ["p50"] = Ms(l.P50), ["p90"] = Ms(l.P90), ["p99"] = Ms(l.P99), ["max"] = Ms(l.Max) } : null,
        ["duplicateOwnerMs"] = f.DuplicateOwnerTime is { } d ? Ms(d) : null, ["ownerChanges"] = f.OwnerChanges, ["leaderChanges"] = f.LeaderChanges,
    };

    private static double Ms(TimeSpan value) => Math.Round(value.TotalMilliseconds, 3);
}
