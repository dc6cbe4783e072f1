using System.Text.Json.Nodes;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>One served resource: where it lives in the API and in etcd, and how it is shown.</summary>
internal sealed record ResourceInfo(
    string Group, string Version, string Plural, string Singular, string Kind, bool Namespaced, string[] ShortNames, bool HasStatus = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    /// <summary>etcd key prefix of all objects (<paramref name="ns"/> null) or of one namespace.</summary>
    public string Prefix(string? ns) =>
        $"/registry/{(Group.Length == 0 ? string.Empty : Group + "/")}{Plural}/" + (Namespaced && ns is not null ? ns + "/" : string.Empty);

    public string Key(string? ns, string name) => Prefix(Namespaced ? ns : null) + name;

    public JsonObject Discovery() => new()
    {
        ["name"] = Plural, ["singularName"] = Singular, ["namespaced"] = Namespaced, ["kind"] = Kind,
        ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
        ["shortNames"] = new JsonArray([.. ShortNames.Select(s => (JsonNode)s)]),
    };
}

/// <summary>The built-in resources, and the custom resources their definitions add.</summary>
internal sealed class ResourceCatalog
{
    public static readonly ResourceInfo Namespaces = new(string.Empty, "v1", "namespaces", "namespace", "Namespace", false, ["ns"]);
    public static readonly ResourceInfo Nodes = new(string.Empty, "v1", "nodes", "node", "Node", false, ["no"]);
    public static readonly ResourceInfo Pods = new(string.Empty, "v1", "pods", "pod", "Pod", true, ["po"]);
    public static readonly ResourceInfo Services = new(string.Empty, "v1", "services", "service", "Service", true, ["svc"]);
    public static readonly ResourceInfo Endpoints = new(string.Empty, "v1", "endpoints", "endpoints", "Endpoints", true, ["ep"], HasStatus: false);
    public static readonly ResourceInfo ConfigMaps = new(string.Empty, "v1", "configmaps", "configmap", "ConfigMap", true, ["cm"], HasStatus: false);
    public static readonly ResourceInfo Secrets = new(string.Empty, "v1", "secrets", "secret", "Secret", true, [], HasStatus: false);
    public static readonly ResourceInfo PersistentVolumeClaims = new(string.Empty, "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, ["pvc"]);
    public static readonly ResourceInfo Events = new(string.Empty, "v1", "events", "event", "Event", true, ["ev"], HasStatus: false);
    public static readonly ResourceInfo Leases = new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, [], HasStatus: false);
    public static readonly ResourceInfo Deployments = new("apps", "v1", "deployments", "deployment", "Deployment", true, ["deploy"]);
    public static readonly ResourceInfo DaemonSets = new("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, ["ds"]);
    public static readonly ResourceInfo ServiceAccounts = new(string.Empty, "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"], HasStatus: false);

    // RBAC objects are stored and served (manifests carry them), not enforced: the lab's API server has one admin identity.
    public static readonly ResourceInfo ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, [], HasStatus: false);
    public static readonly ResourceInfo ClusterRoleBindings = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, [], HasStatus: false);
    public static readonly ResourceInfo Roles = new("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, [], HasStatus: false);
    public static readonly ResourceInfo RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, [], HasStatus: false);
    public static readonly ResourceInfo PodDisruptionBudgets = new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, ["pdb"]);
    // Jobs and CronJobs are stored and served (ChaosEdge's own deployment manifests carry a CronJob per lab), not run:
    // the lab has no Job or CronJob controller, so no schedule fires and no Job starts a pod.
    public static readonly ResourceInfo Jobs = new("batch", "v1", "jobs", "job", "Job", true, []);
    public static readonly ResourceInfo CronJobs = new("batch", "v1", "cronjobs", "cronjob", "CronJob", true, ["cj"]);
    public static readonly ResourceInfo CustomResourceDefinitions = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, ["crd", "crds"]);

    private static readonly ResourceInfo[] BuiltIn =
        [Namespaces, Nodes, Pods, Services, Endpoints, ConfigMaps, Secrets, PersistentVolumeClaims, Events, Leases, Deployments, DaemonSets, ServiceAccounts,
         ClusterRoles, ClusterRoleBindings, Roles, RoleBindings, PodDisruptionBudgets, Jobs, CronJobs, CustomResourceDefinitions];

    private volatile ResourceInfo[] custom = [];

    public IReadOnlyList<ResourceInfo> All => [.. BuiltIn, .. custom];

    public ResourceInfo? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    /// <summary>Replaces the custom resources with those the given definitions serve.</summary>
    public void SetDefinitions(IEnumerable<JsonObject> definitions)
    {
        var served = new List<ResourceInfo>();
        foreach (var crd in definitions)
        {
            var spec = crd["spec"];
            var names = spec?["names"];
            var group = (string?)spec?["group"] ?? string.Empty;
            var plural = (string?)names?["plural"] ?? string.Empty;
            var kind = (string?)names?["kind"] ?? string.Empty;
            var shortNames = (names?["shortNames"] as JsonArray ?? []).Select(n => (string?)n).OfType<string>().ToArray();
            foreach (var version in (spec?["versions"] as JsonArray ?? []).OfType<JsonObject>().Where(v => (bool?)v["served"] != false))
            {
                served.Add(new ResourceInfo(group, (string?)version["name"] ?? "v1", plural, (string?)names?["singular"] ?? kind.ToLowerInvariant(), kind,
                    (string?)spec?["scope"] != "Cluster", shortNames, version["subresources"]?["status"] is not null));
            }
        }

        custom = [.. served];
    }
}
