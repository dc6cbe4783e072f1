using System.Text.Json.Nodes;

namespace ChaosEdge.Kubernetes;

/// <summary>Reading Kubernetes objects held as JSON.</summary>
public static class JsonObjects
{
    public static JsonObject Metadata(this JsonObject obj) =>
        obj["metadata"] as JsonObject ?? (JsonObject)(obj["metadata"] = new JsonObject());

    public static string Name(this JsonObject obj) => (string?)obj["metadata"]?["name"] ?? string.Empty;

    public static string? Namespace(this JsonObject obj) => (string?)obj["metadata"]?["namespace"];

    public static string ResourceVersion(this JsonObject obj) => (string?)obj["metadata"]?["resourceVersion"] ?? string.Empty;

    public static string? Label(this JsonObject obj, string key) => (string?)obj["metadata"]?["labels"]?[key];

    /// <summary>A string at a dotted path (<c>spec.nodeName</c>), or null.</summary>
    public static string? Text(this JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString();
    }

    /// <summary>The status of condition <paramref name="type"/> (<c>True</c>, <c>False</c>, <c>Unknown</c>), or null.</summary>
    public static string? Condition(this JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type)?["status"]?.GetValue<string>();
}
