using ChaosEdge.Reports;
using ChaosEdge.Runs;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// <c>nightly --inventory</c> on a lab a test built: the outcome, the summary's scenarios, every progress line and the
/// run records, read back from a temporary output directory that is removed afterwards.
/// </summary>
public static class NightlyOnLab
{
    /// <summary>What a run left: its outcome and lines, the summary's scenarios, and each named scenario's <c>run.json</c>.</summary>
    public sealed record Result(NightlyOutcome Outcome, IReadOnlyList<string> Lines, IReadOnlyList<ScenarioEntry> Scenarios, IReadOnlyDictionary<string, string> Records)
    {
        /// <summary>The outcome's reason and the last 60 lines, for an assertion's message.</summary>
        public string Tail => Outcome.Reason + "\n" + string.Join('\n', Lines.TakeLast(60));
    }

    public static async Task<Result> RunAsync(string inventoryPath, string filter, params string[] records)
    {
        var output = Directory.CreateTempSubdirectory("chaosedge-nightly-").FullName;
        var lines = new List<string>();
        try
        {
            var outcome = await new NightlyRun(new NightlyOptions { InventoryPath = inventoryPath, Filter = filter, OutputDirectory = output },
                new NightlyObserver(lines), new NightlyLines(lines)).RunAsync();
            var summary = NightlySummary.Read(Path.Combine(output, "nightly.json"));
            var read = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in records)
            {
                read[name] = await File.ReadAllTextAsync(Path.Combine(output, "scenarios", name, "run.json"));
            }

            return new Result(outcome, lines, summary.Scenarios, read);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
