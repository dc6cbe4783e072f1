using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Kubernetes manifests (multi-document YAML, as <c>kubectl apply -f</c> reads them) as JSON objects. Plain scalars
/// follow YAML 1.2's core schema (<c>true</c>, <c>42</c>, <c>null</c>); quoted scalars are strings.
/// </summary>
public static partial class ManifestYaml
{
    /// <summary>Every non-empty document of <paramref name="yaml"/>; a document that is a <c>List</c> contributes its items.</summary>
    /// <exception cref="Errors.ChaosEdgeException">The text is not YAML, or a document is not an object with apiVersion and kind.</exception>
    public static IReadOnlyList<JsonObject> Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new Errors.ChaosEdgeException($"Manifest '{source}' is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        var result = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue;
            }

            if (ToJson(document.RootNode) is not JsonObject obj || obj["apiVersion"] is null || obj["kind"] is null)
            {
                throw new Errors.ChaosEdgeException($"Manifest '{source}' has a document at line {document.RootNode.Start.Line} that is not a Kubernetes object (apiVersion and kind).");
            }

            if ((string?)obj["kind"] is "List" && obj["items"] is JsonArray items)
            {
                result.AddRange(items.OfType<JsonObject>().Select(i => (JsonObject)i.DeepClone()));
            }
            else
            {
                result.Add(obj);
            }
        }

        return result;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? string.Empty, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new Errors.ChaosEdgeException($"Unsupported YAML node at line {node.Start.Line}."),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => i is >= int.MinValue and <= int.MaxValue ? JsonValue.Create((int)i) : JsonValue.Create(i),
            _ when Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
