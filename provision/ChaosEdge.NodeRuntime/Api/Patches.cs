using System.Text.Json.Nodes;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>JSON merge patch (RFC 7386; strategic merge patches are applied as merge patches) and JSON patch (RFC 6902).</summary>
internal static class Patches
{
    public static JsonObject Apply(JsonObject target, string contentType, string body)
    {
        var patch = JsonNode.Parse(body) ?? throw ApiError.BadRequest("empty patch");
        if (contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal))
        {
            return JsonPatch(target, patch as JsonArray ?? throw ApiError.BadRequest("a JSON patch is an array"));
        }

        if (contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal) || contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
        {
            return Merge(target, patch) as JsonObject ?? throw ApiError.BadRequest("a merge patch of an object must be an object");
        }

        throw new ApiError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (not '{contentType}')");
    }

    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject is { } t ? (JsonObject)t.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = Merge(result[key], value);
            }
        }

        return result;
    }

    private static JsonObject JsonPatch(JsonObject target, JsonArray operations)
    {
        var document = target.DeepClone();
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = (string?)operation["op"];
            var path = Pointer((string?)operation["path"] ?? string.Empty);
            switch (op)
            {
                case "add" or "replace":
                    Set(document, path, operation["value"]?.DeepClone(), op == "add");
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), operation["value"]))
                    {
                        throw new ApiError(422, "Invalid", $"the test operation on '{operation["path"]}' failed");
                    }

                    break;
                default:
                    throw ApiError.BadRequest($"JSON patch operation '{op}' is not supported");
            }
        }

        return (JsonObject)document;
    }

    private static string[] Pointer(string path) =>
        [.. path.Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static JsonNode? Get(JsonNode? node, string[] path)
    {
        foreach (var part in path)
        {
            node = node is JsonArray array ? array[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)] : node?[part];
        }

        return node;
    }

    private static void Set(JsonNode document, string[] path, JsonNode? value, bool add)
    {
        var parent = Get(document, path[..^1]) ?? throw new ApiError(422, "Invalid", $"path '/{string.Join('/', path)}' does not exist");
        var last = path[^1];
        if (parent is JsonArray array)
        {
            if (last == "-")
            {
                array.Add(value);
            }
            else if (add)
            {
                array.Insert(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture), value);
            }
            else
            {
                array[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = value;
            }
        }
        else
        {
            parent[last] = value;
        }
    }

    private static void Remove(JsonNode document, string[] path)
    {
        var parent = Get(document, path[..^1]);
        if (parent is JsonArray array)
        {
            array.RemoveAt(int.Parse(path[^1], System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (parent is JsonObject obj)
        {
            obj.Remove(path[^1]);
        }
    }
}
