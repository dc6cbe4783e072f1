using System.Text.Json.Nodes;

namespace ChaosEdge.Tests.Reports;

/// <summary>Nightly histories for the trend tests, made from the real fixture summary and record with the takeover changed night by night.</summary>
internal static class NightlyHistory
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");

    /// <summary>
    /// Writes <c>night-K/nightly.json</c> (run <c>run-K</c>, started on 2026-11-(9 + K)) and its run record under
    /// <paramref name="directory"/> for each takeover, each summary changed by <paramref name="edit"/> before it is written.
    /// </summary>
    public static void Write(string directory, IReadOnlyList<double> takeovers, Action<JsonObject>? edit = null)
    {
        for (var i = 0; i < takeovers.Count; i++)
        {
            var run = Path.Combine(directory, $"night-{i + 1}");
            Directory.CreateDirectory(Path.Combine(run, "scenarios", "vip-holder-power-off"));
            var summary = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "nightly.json")))!;
            summary["runId"] = $"run-{i + 1}";
            summary["startedAt"] = $"2026-11-{10 + i:00}T02:00:00.0000000+00:00";
            edit?.Invoke(summary);
            File.WriteAllText(Path.Combine(run, "nightly.json"), summary.ToJsonString());
            var record = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, "scenarios", "vip-holder-power-off", "run.json")))!;
            var figures = (record["figures"] as JsonArray)!.OfType<JsonObject>().Single(f => (string?)f["probe"] == "api-readyz-fresh");
            figures["takeoverMs"] = takeovers[i];
            File.WriteAllText(Path.Combine(run, "scenarios", "vip-holder-power-off", "run.json"), record.ToJsonString());
        }
    }
}
