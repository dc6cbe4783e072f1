using System.Text.Json;
using System.Text.Json.Serialization;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;

namespace ChaosEdge.Reports;

/// <summary>How one scenario of a run ended. Written in the summary as <c>pass</c>, <c>fail</c>, <c>inconclusive</c>, <c>error</c>, <c>not-run</c>.</summary>
public enum ScenarioStatus
{
    /// <summary>Not run: the run ended before it, or it does not apply to this lab (the reason says which).</summary>
    NotRun,

    /// <summary>Every verdict passed and nothing acknowledged was lost.</summary>
    Pass,

    /// <summary>A verdict failed, or acknowledged data was lost.</summary>
    Fail,

    /// <summary>No verdict failed, but at least one could not be decided.</summary>
    Inconclusive,

    /// <summary>It could not be completed (harness or lab trouble), so it has no verdicts.</summary>
    Error,
}

/// <summary>How a whole run ended. Written as <c>running</c>, <c>pass</c>, <c>fail</c>, <c>incomplete</c>.</summary>
public enum RunOutcome
{
    /// <summary>Still running (the summary is written after every scenario).</summary>
    Running,

    Pass,

    /// <summary>A scenario failed or was inconclusive.</summary>
    Fail,

    /// <summary>A scenario could not be completed, or the run was interrupted.</summary>
    Incomplete,
}

/// <summary>
/// The nightly summary, <c>nightly.json</c> (schema <c>chaosedge.nightly/1</c>): written once by the run layer and read
/// back by the acceptance report, JUnit and trends, so its fields and statuses have one definition.
/// </summary>
public sealed class NightlySummary
{
    public const string SchemaName = "chaosedge.nightly/1";

    /// <summary>camelCase fields, kebab-case statuses (<c>not-run</c>), indented; the file's one format.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    public string Schema { get; set; } = SchemaName;

    public string RunId { get; set; } = string.Empty;

    public string StartedAt { get; set; } = string.Empty;

    public string? FinishedAt { get; set; }

    /// <summary>ChaosEdge's version.</summary>
    public string Harness { get; set; } = string.Empty;

    public string Customer { get; set; } = "—";

    public string Filter { get; set; } = string.Empty;

    /// <summary>The campaign run: <c>default</c>, or its file.</summary>
    public string? Campaign { get; set; }

    public LabSummary? Lab { get; set; }

    public RunOutcome Outcome { get; set; } = RunOutcome.Running;

    public string? Reason { get; set; }

    public double WallSeconds { get; set; }

    public List<ScenarioEntry> Scenarios { get; set; } = [];

    /// <summary>Writes the summary atomically (a reader never sees half a file), redacted.</summary>
    public void Write(string path)
    {
        File.WriteAllText(path + ".tmp", SecretRedactor.Redact(JsonSerializer.Serialize(this, Json)));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Reads a summary; a file of another schema or shape is an error naming the file.</summary>
    public static NightlySummary Read(string path)
    {
        NightlySummary? summary;
        try
        {
            summary = JsonSerializer.Deserialize<NightlySummary>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new ChaosEdgeException($"'{path}' is not a ChaosEdge nightly summary: {e.Message}", e);
        }

        return summary is { Schema: SchemaName } ? summary
            : throw new ChaosEdgeException($"'{path}' is not a ChaosEdge nightly summary of schema '{SchemaName}' (it says '{summary?.Schema}').");
    }

    /// <summary>Reads a summary when <paramref name="path"/> holds one of this schema, else null (trends skip other files).</summary>
    public static NightlySummary? TryRead(string path)
    {
        try
        {
            return Read(path);
        }
        catch (ChaosEdgeException)
        {
            return null;
        }
    }
}

/// <summary>One scenario's line in the summary.</summary>
public sealed class ScenarioEntry
{
    public string Name { get; set; } = string.Empty;

    public string Suite { get; set; } = string.Empty;

    public string Title { get; set; } = string.Empty;

    public ScenarioStatus Status { get; set; }

    public string? Reason { get; set; }

    /// <summary>The fault, in words (the first trial's).</summary>
    public string? Fault { get; set; }

    /// <summary>The (first trial's) run record, relative to the summary.</summary>
    public string? Record { get; set; }

    /// <summary>With more than one trial: the trials document (<c>chaosedge.trials/1</c>), relative to the summary.</summary>
    public string? Trials { get; set; }

    /// <summary>For an error: the technical detail, for the report's appendix.</summary>
    public string? Detail { get; set; }

    public double? Seconds { get; set; }

    /// <summary>Whether the status is a failed or undecided SLA (a JUnit failure).</summary>
    [JsonIgnore]
    public bool NotPassed => Status is ScenarioStatus.Fail or ScenarioStatus.Inconclusive;
}

/// <summary>The lab a run used, for the report's cover.</summary>
public sealed record LabSummary(string Description, string Cluster, string Vip, string Sla, string Versions, IReadOnlyList<LabNodeSummary> Nodes);

/// <summary>One node on the report's cover.</summary>
public sealed record LabNodeSummary(string Name, string Address, string Role, string Bmc, string Hardware);
