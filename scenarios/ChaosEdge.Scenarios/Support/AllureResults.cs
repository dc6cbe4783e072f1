using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// Writes Allure results (the <c>allure-results</c> format: one <c>UUID-result.json</c> per test, attachments beside
/// it, <c>environment.properties</c>) for the scenario suites: suite and feature labels, a step per scenario phase with
/// its own steps, the run record and raw samples attached. Allure.NUnit is not on this project's package source, so
/// the files are written here, in the format the <c>allure</c> command-line reads. The directory is
/// <c>ALLURE_RESULTS_DIRECTORY</c>, else <c>allure-results</c> in the test run's working directory.
/// </summary>
public sealed class AllureResults
{
    private readonly JsonObject result;
    private readonly Stack<JsonObject> steps = new();
    private readonly string uuid = Guid.NewGuid().ToString();

    private AllureResults(string name, string fullName, string suite, string feature)
    {
        result = new JsonObject
        {
            ["uuid"] = uuid, ["historyId"] = fullName, ["testCaseId"] = fullName, ["name"] = name, ["fullName"] = fullName,
            ["start"] = Now(), ["stage"] = "running", ["steps"] = new JsonArray(), ["attachments"] = new JsonArray(),
            ["labels"] = new JsonArray(
                Label("suite", suite), Label("feature", feature), Label("framework", "nunit"), Label("language", "csharp"), Label("host", System.Environment.MachineName)),
        };
    }

    public static string Directory =>
        System.Environment.GetEnvironmentVariable("ALLURE_RESULTS_DIRECTORY") is { Length: > 0 } configured ? configured : Path.Combine(TestContext.CurrentContext.WorkDirectory, "allure-results");

    public static AllureResults Start(string suite, string feature) =>
        new(TestContext.CurrentContext.Test.Name, TestContext.CurrentContext.Test.FullName, suite, feature);

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
        step["status"] = error is null ? "passed" : "failed";
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
        System.IO.Directory.CreateDirectory(Directory);
        var source = $"{Guid.NewGuid()}-attachment.{extension}";
        File.WriteAllBytes(Path.Combine(Directory, source), content);
        (steps.Count == 0 ? result : steps.Peek())["attachments"]!.AsArray().Add(new JsonObject { ["name"] = name, ["source"] = source, ["type"] = type });
    }

    public void Attach(string name, string type, string extension, string content) => Attach(name, type, extension, Encoding.UTF8.GetBytes(SecretRedactor.Redact(content)));

    public void Parameter(string name, string value) =>
        (result["parameters"] ??= new JsonArray()).AsArray().Add(new JsonObject { ["name"] = name, ["value"] = SecretRedactor.Redact(value) });

    /// <summary>Writes the result with NUnit's outcome; an SLA failure is 'failed', anything else that went wrong 'broken'.</summary>
    public void Finish()
    {
        while (steps.Count > 0)
        {
            StopStep();
        }

        var context = TestContext.CurrentContext.Result;
        var status = context.Outcome.Status switch
        {
            NUnit.Framework.Interfaces.TestStatus.Passed => "passed",
            NUnit.Framework.Interfaces.TestStatus.Skipped => "skipped",
            NUnit.Framework.Interfaces.TestStatus.Failed when context.Outcome.Site == NUnit.Framework.Interfaces.FailureSite.Test && (context.Message ?? string.Empty).Contains("SLA", StringComparison.Ordinal) => "failed",
            _ => "broken",
        };
        result["status"] = status;
        result["stage"] = "finished";
        result["stop"] = Now();
        if (context.Message is { Length: > 0 } message)
        {
            result["statusDetails"] = new JsonObject { ["message"] = SecretRedactor.Redact(message), ["trace"] = SecretRedactor.Redact(context.StackTrace ?? string.Empty) };
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, $"{uuid}-result.json"), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Writes <c>environment.properties</c> (versions, the lab's shape; no secrets).</summary>
    public static void WriteEnvironment(IReadOnlyDictionary<string, string> values)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllLines(Path.Combine(Directory, "environment.properties"), values.Select(v => $"{v.Key}={SecretRedactor.Redact(v.Value).Replace("\n", " ", StringComparison.Ordinal)}"));
    }

    private static JsonObject Label(string name, string value) => new() { ["name"] = name, ["value"] = value };

    // Allure's start/stop fields are wall-clock epoch milliseconds, for display; nothing is measured with them.
    private static long Now() => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
}
