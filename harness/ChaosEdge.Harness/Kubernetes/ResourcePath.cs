using System.Text;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// A kind of resource the API serves: its group, version and plural name (<c>apps/v1 deployments</c>). Which object or
/// collection of it is meant is a <see cref="ResourceRef"/>, from <see cref="For"/>.
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
    public static ResourcePath DaemonSets { get; } = new("apps", "v1", "daemonsets");
    public static ResourcePath PodDisruptionBudgets { get; } = new("policy", "v1", "poddisruptionbudgets");
    public static ResourcePath CustomResourceDefinitions { get; } = new("apiextensions.k8s.io", "v1", "customresourcedefinitions");

    /// <summary>The collection (all namespaces, or a cluster-scoped kind, when <paramref name="ns"/> is null) or, with a name, one object.</summary>
    /// <param name="ns">The namespace; null for all namespaces or a cluster-scoped kind.</param>
    /// <param name="name">The object; null for the collection.</param>
    /// <param name="subresource">Only <c>status</c> is used by the harness.</param>
    public ResourceRef For(string? ns = null, string? name = null, string? subresource = null) => new(this, ns, name, subresource);

    /// <summary><c>apiVersion</c> as objects of this resource carry it.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>One object, or a collection, of a <see cref="ResourcePath"/>; its text is the API path, as messages show it.</summary>
public sealed record ResourceRef(ResourcePath Resource, string? Namespace, string? Name, string? Subresource = null)
{
    /// <summary>The object's <c>status</c> subresource.</summary>
    public ResourceRef Status => this with { Subresource = "status" };

    /// <summary><c>/api/v1/namespaces/kube-system/pods/x</c>, <c>/apis/coordination.k8s.io/v1/…/leases</c>.</summary>
    public override string ToString()
    {
        var path = new StringBuilder(Resource.Group.Length == 0 ? $"/api/{Resource.Version}" : $"/apis/{Resource.Group}/{Resource.Version}");
        if (Namespace is not null)
        {
            path.Append("/namespaces/").Append(Uri.EscapeDataString(Namespace));
        }

        path.Append('/').Append(Resource.Plural);
        if (Name is not null)
        {
            path.Append('/').Append(Uri.EscapeDataString(Name));
        }

        if (Subresource is not null)
        {
            path.Append('/').Append(Subresource);
        }

        return path.ToString();
    }
}
