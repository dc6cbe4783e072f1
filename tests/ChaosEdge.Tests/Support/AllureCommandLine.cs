using System.Text.Json.Nodes;
using ChaosEdge.Processes;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// The real Allure 3 command line (npm package <c>allure</c>, pinned in <c>reports/allure/package-lock.json</c>),
/// installed there with <c>npm ci</c> on first use; without Node.js and npm the test fails on CI and is ignored elsewhere.
/// </summary>
public static class AllureCommandLine
{
    private static readonly SemaphoreSlim Installing = new(1, 1);

    /// <summary>Runs <c>allure generate</c> in <paramref name="directory"/> (where its <c>allurerc.json</c> is) and returns the report directory.</summary>
    public static async Task<GeneratedAllureReport> GenerateAsync(string directory)
    {
        var allure = await InstalledAsync();
        var report = Path.Combine(directory, "allure-report");
        var result = await RunAsync(allure, "generate", "--cwd", directory, "--output", report);
        Assert.That(result.ExitCode, Is.Zero, $"allure generate in {directory} failed:\n{result.Stdout}{result.Stderr}");
        Assert.That(File.Exists(Path.Combine(report, "index.html")), $"allure generate wrote no report:\n{result.Stdout}{result.Stderr}");
        return new GeneratedAllureReport(report);
    }

    private static async Task<string> InstalledAsync()
    {
        var tool = Repository.Path("reports", "allure");
        var allure = Path.Combine(tool, "node_modules", ".bin", "allure");
        await Installing.WaitAsync();
        try
        {
            if (!File.Exists(allure))
            {
                var npm = Prerequisite.Program("npm", "npm");
                await TestContext.Progress.WriteLineAsync($"Installing the Allure 3 command line (npm ci in {tool}), on first use.");
                var result = await RunAsync(npm, "ci", "--no-audit", "--no-fund", "--prefix", tool);
                Assert.That(result.ExitCode, Is.Zero, $"npm ci in {tool} failed:\n{result.Stdout}{result.Stderr}");
            }

            return allure;
        }
        finally
        {
            Installing.Release();
        }
    }

    private static Task<ProcessResult> RunAsync(string program, params string[] arguments) =>
        ProcessRunner.RunAsync(program, arguments, timeout: TimeSpan.FromMinutes(5), environment: new Dictionary<string, string> { ["NO_COLOR"] = "1" });
}

/// <summary>What a user sees in an Allure 3 report, read from the files the report's pages load.</summary>
public sealed class GeneratedAllureReport(string directory)
{
    public string Directory => directory;

    /// <summary>Every test result shown, by name: its status, its steps' names (nested ones too) and attachments' names.</summary>
    public IReadOnlyList<AllureShownResult> Results() =>
        [.. System.IO.Directory.EnumerateFiles(Path.Combine(directory, "data", "test-results"), "*.json").Select(file =>
        {
            var result = JsonNode.Parse(File.ReadAllText(file))!;
            var steps = new List<string>();
            var attachments = new List<string>();
            Walk(result["steps"] as JsonArray, steps, attachments);
            return new AllureShownResult((string)result["name"]!, (string)result["status"]!, steps, attachments);
        })];

    /// <summary>The environment as the report shows it: each key with its values.</summary>
    public IReadOnlyDictionary<string, string> Environment() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "widgets", "allure_environment.json")))!.AsArray()
            .ToDictionary(e => (string)e!["name"]!, e => string.Join(", ", e!["values"]!.AsArray().Select(v => (string)v!)));

    /// <summary>The categories shown, each with the names of the results in it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Categories()
    {
        var tree = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "widgets", "categories.json")))!;
        var nodes = tree["nodes"]!.AsObject();
        IEnumerable<string> Leaves(string id) => nodes[id] is { } node && (string)node["type"]! == "tr"
            ? [(string)node["name"]!]
            : (nodes[id]?["childrenIds"] as JsonArray ?? []).SelectMany(c => Leaves((string)c!));
        return tree["roots"]!.AsArray().ToDictionary(r => (string)nodes[(string)r!]!["name"]!, r => (IReadOnlyList<string>)[.. Leaves((string)r!)]);
    }

    private static void Walk(JsonArray? items, List<string> steps, List<string> attachments)
    {
        foreach (var item in items ?? [])
        {
            if ((string?)item!["type"] == "attachment")
            {
                attachments.Add((string)item["link"]!["name"]!);
            }
            else
            {
                steps.Add((string)item["name"]!);
                Walk(item["steps"] as JsonArray, steps, attachments);
            }
        }
    }
}

/// <summary>One result as the report shows it.</summary>
public sealed record AllureShownResult(string Name, string Status, IReadOnlyList<string> Steps, IReadOnlyList<string> Attachments);
