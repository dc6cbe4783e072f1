using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Scenarios.Catalog;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Campaigns;

/// <summary>
/// Reads a campaign file (version 1, documented at the top of <c>campaigns/default.yaml</c>): <c>version</c>,
/// <c>name</c>, optional default <c>trials</c>, optional application <c>probes</c> by name, and <c>scenarios</c>, each
/// a fault against a target with its windows, probes, lab needs and SLA thresholds. Every problem is reported at once
/// with file, line, column and field.
/// </summary>
public static partial class CampaignLoader
{
    /// <summary>The most trials a scenario may ask for.</summary>
    public const int MaximumTrials = 100;

    /// <summary>Reads the campaign file at <paramref name="path"/>; its problems name the path as given.</summary>
    /// <exception cref="ConfigurationInvalidException">The file cannot be read, or has mistakes (all of them listed).</exception>
    public static Campaign Load(string path) => Parse(InventoryLoader.ReadText(path), path, Path.GetFullPath(path));

    /// <summary>Reads a campaign from <paramref name="yaml"/>; problems name <paramref name="displayName"/> with line and column.</summary>
    /// <param name="yaml">The campaign file's text.</param>
    /// <param name="displayName">The file as problems name it (<c>campaign.yaml</c>).</param>
    /// <param name="sourcePath">The campaign's <see cref="Campaign.SourcePath"/>; <paramref name="displayName"/> when null.</param>
    /// <exception cref="ConfigurationInvalidException">The text has mistakes (all of them listed, in file order).</exception>
    public static Campaign Parse(string yaml, string displayName, string? sourcePath = null)
    {
        var problems = new YamlProblems(displayName);
        var root = InventoryLoader.ReadRoot(yaml, problems, "must be a mapping with keys 'version', 'name' and 'scenarios'.");
        var name = string.Empty;
        var scenarios = new List<CatalogScenario>();
        if (root is not null && YamlScope.Open(root, string.Empty, problems) is { } top)
        {
            var reader = new Reader(problems);
            if (top.Scalar("version", required: true) is { } version && version != "1")
            {
                problems.Add(top.NodeOf("version")!, "version", $"'{version}' is not a supported campaign version; this ChaosEdge reads version '1'.");
            }

            name = top.Scalar("name", required: true) ?? string.Empty;
            var trials = reader.ReadInt(top, "trials", 1, 1, MaximumTrials);
            var probes = top.Mapping("probes", required: false) is { } declared ? reader.ReadProbeDeclarations(declared) : [];
            scenarios = ReadScenarios(top, reader, probes, trials);
            top.RejectUnknownKeys();
        }

        if (problems.All.Count > 0)
        {
            throw new ConfigurationInvalidException(displayName, [.. problems.All.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        }

        return new Campaign(name, sourcePath ?? displayName, scenarios);
    }

    private static List<CatalogScenario> ReadScenarios(YamlScope top, Reader reader, IReadOnlyDictionary<string, ApplicationProbeSpec> probes, int trials)
    {
        var scenarios = new List<CatalogScenario>();
        var value = top.Required("scenarios");
        if (value is null)
        {
            return scenarios;
        }

        if (value is not YamlSequenceNode list || list.Children.Count == 0)
        {
            top.Problems.Add(value, "scenarios", "must be a list of one or more scenarios, each starting '- name: ...'.");
            return scenarios;
        }

        var seen = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (YamlScope.Open(list.Children[i], $"scenarios[{i}]", top.Problems) is not { } scope)
            {
                continue;
            }

            // Checked apart from the scenario's other keys, so a repeated name is reported even where both have other mistakes.
            var duplicate = false;
            if (scope.NodeOf("name") is YamlScalarNode { Value: { } name } node)
            {
                if (seen.TryGetValue(name, out var first))
                {
                    top.Problems.Add(node, scope.FieldPath("name"), $"'{name}' already names the scenario at line {first.Start.Line}; scenario names are unique (each is its SLA key).");
                    duplicate = true;
                }
                else
                {
                    seen[name] = node;
                }
            }

            if (reader.ReadScenario(scope, probes, trials) is { } scenario && !duplicate)
            {
                scenarios.Add(scenario);
            }
        }

        return scenarios;
    }
}
