using System.Text;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Builds API paths: <c>/api/v1/namespaces/kube-system/pods/x</c>, <c>/apis/coordination.k8s.io/v1/…/leases</c>.
/// </summary>
/// <param name="Group">API group; empty for the core group.</param>
/// <param name="Version">API version, such as <c>v1</c>.</param>
/// <param name="Plural">Resource, such as <c>pods</c>.</param>
public sealed record ResourcePath(string Group, string Version, string Plural)
{
    public static ResourcePath Namespaces { get; } = new(string.Empty, "v1", "namespaces");
    public static ResourcePath Nodes { get; } = new(string.Empty, "v1", "nodes");
    public static ResourcePath Pods { get; } = new(string.Empty, "v1", "pods");
    public static ResourcePath Services { get; } = new(string.Empty, "v1", "services");
    public static ResourcePath Endpoints { get; } = new(string.Empty, "v1", "endpoints");
    public static ResourcePath ConfigMaps { get; } = new(string.Empty, "v1", "configmaps");
    public static ResourcePath PersistentVolumeClaims { get; } = new(string.Empty, "v1", "persistentvolumeclaims");
    public static ResourcePath Events { get; } = new(string.Empty, "v1", "events");
    public static ResourcePath Leases { get; } = new("coordination.k8s.io", "v1", "leases");
    public static ResourcePath Deployments { get; } = new("apps", "v1", "deployments");
    public static ResourcePath PodDisruptionBudgets { get; } = new("policy", "v1", "poddisruptionbudgets");

    /// <summary>The collection (all namespaces when <paramref name="ns"/> is null) or, with a name, one object.</summary>
    public string For(string? ns = null, string? name = null, string? subresource = null)
    {
        var path = new StringBuilder(Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}");
        if (ns is not null)
        {
            path.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }

        path.Append('/').Append(Plural);
        if (name is not null)
        {
            path.Append('/').Append(Uri.EscapeDataString(name));
        }

        if (subresource is not null)
        {
            path.Append('/').Append(subresource);
        }

        return path.ToString();
    }

    /// <summary><c>apiVersion</c> as objects of this resource carry it.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}
