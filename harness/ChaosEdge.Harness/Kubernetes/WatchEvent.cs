using System.Text.Json.Nodes;

namespace ChaosEdge.Kubernetes;

/// <summary>One event of a watch: <c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c> or <c>BOOKMARK</c>.</summary>
public sealed record WatchEvent(string Type, JsonObject Object)
{
    public string ResourceVersion => Object.ResourceVersion();
}
