using System.Text.Json.Nodes;
using ChaosEdge.Measurement.Sla;

namespace ChaosEdge.Measurement.Trials;

/// <summary>A scenario's trials as <see cref="TrialsDocument.Read"/> gives them back: what the reports draw.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Trials">How many trials ran.</param>
/// <param name="Records">Each trial's run record, relative to the run's output directory, in trial order.</param>
/// <param name="Metrics">Every threshold judged over the trials.</param>
public sealed record TrialsRun(string Scenario, int Trials, IReadOnlyList<string> Records, IReadOnlyList<TrialMetric> Metrics);

/// <summary>
/// <c>trials.json</c> (schema <c>chaosedge.trials/1</c>): a scenario's repeated trials, each metric with its per-trial
/// values and outcomes, statistics in the metric's unit (<c>ms</c>, or <c>%</c> for availability) and its verdict.
/// </summary>
public static class TrialsDocument
{
    public const string Schema = "chaosedge.trials/1";

    /// <param name="scenario">The scenario.</param>
    /// <param name="recordPaths">Each trial's run record, relative to the run's output directory, in trial order.</param>
    /// <param name="metrics">What <see cref="TrialJudge.Judge"/> gave.</param>
    public static JsonObject Build(string scenario, IReadOnlyList<string> recordPaths, IReadOnlyList<TrialMetric> metrics)
    {
        ArgumentNullException.ThrowIfNull(recordPaths);
        ArgumentNullException.ThrowIfNull(metrics);
        return new JsonObject
        {
            ["schema"] = Schema,
            ["scenario"] = scenario,
            ["trials"] = recordPaths.Count,
            ["records"] = new JsonArray([.. recordPaths.Select(p => (JsonNode?)JsonValue.Create(p))]),
            ["metrics"] = new JsonArray([.. metrics.Select(m => (JsonNode?)Metric(m))]),
        };
    }

    /// <summary>Reads what <see cref="Build"/> wrote; throws <see cref="FormatException"/> for another schema.</summary>
    public static TrialsRun Read(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if ((string?)document["schema"] != Schema)
        {
            throw new FormatException($"Expected a '{Schema}' document, not '{(string?)document["schema"]}'.");
        }

        var records = (document["records"] as JsonArray ?? []).Select(r => (string?)r ?? string.Empty).ToList();
        var metrics = (document["metrics"] as JsonArray ?? []).OfType<JsonObject>().Select(ReadMetric).ToList();
        return new TrialsRun((string?)document["scenario"] ?? "?", (int?)document["trials"] ?? records.Count, records, metrics);
    }

    private static JsonObject Metric(TrialMetric m)
    {
        var s = m.Statistics;
        return new JsonObject
        {
            ["probe"] = m.Threshold.Probe,
            ["metric"] = m.Threshold.Metric.ToString(),
            ["unit"] = m.Unit,
            ["limit"] = m.Threshold.Text,
            ["limitValue"] = m.LimitValue,
            ["higherIsBetter"] = m.HigherIsBetter,
            ["source"] = m.Threshold.Source,
            ["values"] = new JsonArray([.. m.Values.Select(v => (JsonNode?)(v is { } x ? JsonValue.Create(x) : null))]),
            ["outcomes"] = new JsonArray([.. m.Outcomes.Select(o => (JsonNode?)JsonValue.Create(o.ToString()))]),
            ["n"] = s?.N ?? 0,
            ["mean"] = s?.Mean,
            ["median"] = s?.Median,
            ["p95"] = s?.P95,
            ["min"] = s?.Min,
            ["max"] = s?.Max,
            ["standardDeviation"] = s?.StandardDeviation,
            ["ciLow"] = s?.CiLow,
            ["ciHigh"] = s?.CiHigh,
            ["outcome"] = m.Outcome.ToString(),
            ["measured"] = m.Verdict.Measured,
            ["margin"] = m.Verdict.Margin,
            ["reason"] = m.Reason,
        };
    }

    private static TrialMetric ReadMetric(JsonObject m)
    {
        var metric = Enum.Parse<SlaMetric>((string?)m["metric"] ?? "?");
        var limitValue = (double?)m["limitValue"] ?? double.NaN;
        var threshold = new SlaThreshold((string?)m["probe"] ?? "?", metric, metric == SlaMetric.Availability ? limitValue / 100 : limitValue, (string?)m["limit"] ?? "?", (string?)m["source"] ?? string.Empty);
        var values = (m["values"] as JsonArray ?? []).Select(v => (double?)v).ToList();
        var outcomes = (m["outcomes"] as JsonArray ?? []).Select(o => Enum.TryParse<SlaOutcome>((string?)o, out var x) ? x : SlaOutcome.Inconclusive).ToList();
        var n = (int?)m["n"] ?? 0;
        var statistics = n == 0 ? null : new TrialStatistics(n, (double?)m["mean"] ?? double.NaN, (double?)m["median"] ?? double.NaN, (double?)m["p95"] ?? double.NaN,
            (double?)m["min"] ?? double.NaN, (double?)m["max"] ?? double.NaN, (double?)m["standardDeviation"] ?? 0, (double?)m["ciLow"], (double?)m["ciHigh"]);
        var outcome = Enum.TryParse<SlaOutcome>((string?)m["outcome"], out var o) ? o : SlaOutcome.Inconclusive;
        var verdict = new SlaVerdict(threshold, outcome, (string?)m["measured"] ?? "-", (string?)m["margin"] ?? "-", (string?)m["reason"] ?? string.Empty);
        return new TrialMetric(threshold, values, outcomes, statistics, verdict);
    }
}
