using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Measurement.Sla;

/// <summary>
/// Reads an SLA file: <c>version: 1</c> and <c>scenarios:</c>, a mapping of scenario name (or <c>default</c>, or
/// <c>scenario@shape</c> for one VIP provider, <see cref="SlaDocument.For"/>) to probe name
/// (or a pattern such as <c>dns-*</c>, <see cref="Probes.ProbePattern"/>) to metric thresholds, with units: times as <c>5s</c> / <c>250ms</c> / <c>1m30s</c>, availability as <c>99.9%</c>. Every
/// problem is reported at once with file, line, column and field.
/// </summary>
public static class SlaLoader
{
    private static readonly Dictionary<string, SlaMetric> Metrics = new(StringComparer.Ordinal)
    {
        ["takeover"] = SlaMetric.Takeover, ["longestOutage"] = SlaMetric.LongestOutage, ["availability"] = SlaMetric.Availability,
        ["latencyP99"] = SlaMetric.LatencyP99, ["duplicateOwner"] = SlaMetric.DuplicateOwner, ["latencyMax"] = SlaMetric.LatencyMax,
    };

    public static SlaDocument Load(string path) => Parse(InventoryLoader.ReadText(path), path, Path.GetFullPath(path));

    public static SlaDocument Parse(string yaml, string displayName, string? sourcePath = null)
    {
        var problems = new YamlProblems(displayName);
        var root = InventoryLoader.ReadRoot(yaml, problems, "must be a mapping with keys 'version' and 'scenarios'.");
        var scenarios = new Dictionary<string, IReadOnlyList<SlaThreshold>>(StringComparer.Ordinal);
        if (root is not null && YamlScope.Open(root, string.Empty, problems) is { } top)
        {
            if (top.Scalar("version", required: true) is { } version && version != "1")
            {
                problems.Add(top.NodeOf("version")!, "version", $"'{version}' is not a supported SLA version; this ChaosEdge reads version '1'.");
            }

            if (top.Mapping("scenarios", required: true) is { } all)
            {
                foreach (var (key, value) in all.Node.Children)
                {
                    var scenario = ((YamlScalarNode)key).Value ?? string.Empty;
                    all.Optional(scenario);
                    if (scenario.IndexOf('@', StringComparison.Ordinal) is >= 0 and var at && !SlaDocument.Shapes.Contains(scenario[(at + 1)..]))
                    {
                        problems.Add(key, all.FieldPath(scenario), $"'{scenario[(at + 1)..]}' is not a shape; an entry 'scenario@shape' is for clusters whose control-plane VIP is held by {string.Join(" or ", SlaDocument.Shapes)}.");
                        continue;
                    }

                    if (YamlScope.Open(value, all.FieldPath(scenario), problems) is { } probes)
                    {
                        scenarios[scenario] = ReadProbes(probes, displayName, problems, scenario);
                    }
                }
            }

            top.RejectUnknownKeys();
        }

        if (problems.All.Count > 0)
        {
            throw new ConfigurationInvalidException(displayName, [.. problems.All.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        }

        return new SlaDocument(sourcePath ?? displayName, scenarios);
    }

    /// <summary>
    /// One entry's probes and their metric thresholds, each threshold carrying its place (<paramref name="file"/>:line:column)
    /// and <paramref name="entry"/>; campaigns read a scenario's <c>sla:</c> block with it.
    /// </summary>
    internal static List<SlaThreshold> ReadProbes(YamlScope probes, string file, YamlProblems problems, string entry)
    {
        var thresholds = new List<SlaThreshold>();
        foreach (var (key, value) in probes.Node.Children)
        {
            var probe = ((YamlScalarNode)key).Value ?? string.Empty;
            probes.Optional(probe);
            if (probe.IndexOf('*', StringComparison.Ordinal) is >= 0 and var star && star != probe.Length - 1)
            {
                problems.Add(key, probes.FieldPath(probe), $"'{probe}' is neither a probe name nor a pattern: a '*' may only end it, as in 'dns-*' (every probe whose name starts 'dns-').");
                continue;
            }
            if (YamlScope.Open(value, probes.FieldPath(probe), problems) is not { } metrics)
            {
                continue;
            }

            foreach (var (name, metric) in Metrics)
            {
                if (metrics.Scalar(name, required: false) is not { } text)
                {
                    continue;
                }

                var node = metrics.NodeOf(name)!;
                var source = $"{file}:{node.Start.Line}:{node.Start.Column}";
                if (metric == SlaMetric.Availability)
                {
                    if (text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) && percent is > 0 and <= 100)
                    {
                        thresholds.Add(new SlaThreshold(probe, metric, Math.Round(percent / 100, 12), text, source, entry));
                    }
                    else
                    {
                        problems.Add(node, metrics.FieldPath(name), $"'{text}' is not a percentage such as 99.9% (above 0, at most 100).");
                    }
                }
                else if (ValueParsers.TryParseDuration(text, out var limit))
                {
                    thresholds.Add(new SlaThreshold(probe, metric, limit.TotalMilliseconds, text, source, entry));
                }
                else
                {
                    problems.Add(node, metrics.FieldPath(name), $"'{text}' is not a duration such as 5s, 250ms or 1m30s.");
                }
            }

            metrics.RejectUnknownKeys();
        }

        return thresholds;
    }
}
