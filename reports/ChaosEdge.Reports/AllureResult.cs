using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Reports;

/// <summary>
/// One test's result in the Allure results format (<c>allure-results/UUID-result.json</c>, attachments beside it), as
/// the <c>allure</c> command line reads it: suite and feature labels, nested steps, attachments, parameters, and a
/// status — <c>failed</c> for an SLA failure, <c>broken</c> for a harness or infrastructure failure (see
/// <see cref="WriteCategories"/>). Written by the scenario suites and by <c>chaosedge nightly</c>; every text is
/// redacted. Allure.NUnit is not on this project's package source, so the format is written here.
/// </summary>
public sealed class AllureResult
{
    /// <summary>The category of failed results: the cluster missed its SLA, or lost data.</summary>
    public const string SlaFailure = "SLA failure";

    /// <summary>The category of broken results: the scenario could not run.</summary>
    public const string HarnessFailure = "Harness or infrastructure failure";

    private readonly JsonObject result;
    private readonly Stack<JsonObject> steps = new();
    private readonly string uuid = Guid.NewGuid().ToString();
    private readonly string directory;
    private readonly TimeProvider time;

    public AllureResult(string directory, string name, string fullName, string suite, string feature, TimeProvider? time = null)
    {
        this.directory = directory;
        this.time = time ?? TimeProvider.System;
        result = new JsonObject
        {
            ["uuid"] = uuid, ["historyId"] = fullName, ["testCaseId"] = fullName, ["name"] = name, ["fullName"] = fullName,
            ["start"] = Now(), ["stage"] = "running", ["steps"] = new JsonArray(), ["attachments"] = new JsonArray(),
            ["labels"] = new JsonArray(
                Label("suite", suite), Label("feature", feature), Label("framework", "chaosedge"), Label("language", "csharp"), Label("host", Environment.MachineName)),
        };
    }

    public void StartStep(string name)
    {
        var step = new JsonObject { ["name"] = SecretRedactor.Redact(name), ["start"] = Now(), ["stage"] = "running", ["steps"] = new JsonArray(), ["attachments"] = new JsonArray() };
        (steps.Count == 0 ? result : steps.Peek())["steps"]!.AsArray().Add(step);
        steps.Push(step);
    }

    public void StopStep(Exception? error = null)
    {
        if (steps.Count == 0)
        {
            return;
        }

        var step = steps.Pop();
        step["stop"] = Now();
        step["stage"] = "finished";
        step["status"] = error is null ? "passed" : "broken";
        if (error is not null)
        {
            step["statusDetails"] = new JsonObject { ["message"] = SecretRedactor.Redact(error.Message) };
        }
    }

    /// <summary>A step that starts and ends at once (one line of a phase).</summary>
    public void Step(string line)
    {
        StartStep(line);
        StopStep();
    }

    public void Attach(string name, string type, string extension, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        Directory.CreateDirectory(directory);
        var source = $"{Guid.NewGuid()}-attachment.{extension}";
        File.WriteAllBytes(Path.Combine(directory, source), content);
        (steps.Count == 0 ? result : steps.Peek())["attachments"]!.AsArray().Add(new JsonObject { ["name"] = name, ["source"] = source, ["type"] = type });
    }

    public void Attach(string name, string type, string extension, string content) => Attach(name, type, extension, Encoding.UTF8.GetBytes(SecretRedactor.Redact(content)));

    public void Parameter(string name, string value) =>
        (result["parameters"] ??= new JsonArray()).AsArray().Add(new JsonObject { ["name"] = name, ["value"] = SecretRedactor.Redact(value) });

    /// <summary>Writes the result: <paramref name="status"/> is passed, failed (an SLA failure), broken (anything else went wrong) or skipped.</summary>
    public void Finish(string status, string? message = null, string? trace = null)
    {
        while (steps.Count > 0)
        {
            StopStep();
        }

        result["status"] = status;
        result["stage"] = "finished";
        result["stop"] = Now();
        if (message is { Length: > 0 })
        {
            result["statusDetails"] = new JsonObject { ["message"] = SecretRedactor.Redact(message), ["trace"] = SecretRedactor.Redact(trace ?? string.Empty) };
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"{uuid}-result.json"), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Writes <c>environment.properties</c> (versions, the lab's shape; no secrets). Keys and values are escaped as the
    /// properties format asks, so a key with spaces (<c>control-plane VIP</c>) reaches the report as written.
    /// </summary>
    public static void WriteEnvironment(string directory, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, "environment.properties"), values.Select(v => $"{PropertiesEscape(v.Key, key: true)}={PropertiesEscape(SecretRedactor.Redact(v.Value).Replace("\n", " ", StringComparison.Ordinal), key: false)}"));
    }

    /// <summary>
    /// Writes <c>allurerc.json</c> into <paramref name="directory"/> for the Allure 3 command line: run there,
    /// <c>allure generate</c> reads <paramref name="resultsDirectory"/> (relative to it), writes the HTML report to
    /// <c>allure-report/</c> and groups results into the same categories as <see cref="WriteCategories"/> (Allure 3's
    /// report reads categories from its configuration, not from <c>categories.json</c>).
    /// </summary>
    public static void WriteReportConfig(string directory, string resultsDirectory, string reportName)
    {
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["name"] = reportName,
            ["resultsDir"] = resultsDirectory,
            ["output"] = "allure-report",
            ["categories"] = new JsonArray(
                new JsonObject { ["name"] = SlaFailure, ["matchers"] = new JsonObject { ["statuses"] = new JsonArray("failed") } },
                new JsonObject { ["name"] = HarnessFailure, ["matchers"] = new JsonObject { ["statuses"] = new JsonArray("broken") } }),
        };
        File.WriteAllText(Path.Combine(directory, "allurerc.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Writes <c>categories.json</c>: Allure groups failed results as SLA failures (the cluster missed its SLA, or
    /// lost data) and broken ones as harness or infrastructure failures (the lab, a fault, a prerequisite).
    /// </summary>
    public static void WriteCategories(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "categories.json"), $$"""
            [
              { "name": "{{SlaFailure}}", "description": "The cluster did not meet its SLA, a verdict was inconclusive, or acknowledged data was lost.", "matchedStatuses": ["failed"] },
              { "name": "{{HarnessFailure}}", "description": "The scenario could not run: lab, fault, prerequisite or harness trouble.", "matchedStatuses": ["broken"] }
            ]
            """);
    }

    /// <summary>
    /// A key or value in the properties format: backslash, newline and tab escaped; in a key also the separators
    /// (space, '=', ':') and the comment marks a line may not start with; in a value a leading space.
    /// </summary>
    internal static string PropertiesEscape(string text, bool key)
    {
        var escaped = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            escaped.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                ' ' when key || i == 0 => "\\ ",
                '=' or ':' or '#' or '!' when key => "\\" + c,
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    private static JsonObject Label(string name, string value) => new() { ["name"] = name, ["value"] = value };

    // Allure's start/stop fields are wall-clock epoch milliseconds, for display; nothing is measured with them.
    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
