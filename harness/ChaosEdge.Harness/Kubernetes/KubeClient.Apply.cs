using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace ChaosEdge.Kubernetes;

public sealed partial class KubeClient
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, (string Plural, bool Namespaced)>> discovery = new(StringComparer.Ordinal);

    /// <summary>
    /// Server-side apply (<c>PATCH</c> with <c>application/apply-patch+yaml</c>, <c>force=true</c>) of one object, as
    /// <c>kubectl apply --server-side</c> does: creates it when absent, otherwise sets the fields it names and takes them
    /// over from other managers. The resource is found through API discovery from the object's apiVersion and kind.
    /// </summary>
    /// <param name="obj">The object; a namespaced one without <c>metadata.namespace</c> goes to <paramref name="defaultNamespace"/>.</param>
    /// <param name="fieldManager">Who owns the applied fields, such as <c>chaosedge</c>.</param>
    /// <param name="defaultNamespace">Namespace of namespaced objects that name none.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The object as stored, and whether the apply changed it (created, or a new resourceVersion).</returns>
    public async Task<(JsonObject Applied, bool Changed)> ApplyAsync(JsonObject obj, string fieldManager, string defaultNamespace = "default", CancellationToken cancellationToken = default)
    {
        var apiVersion = (string?)obj["apiVersion"] ?? throw new Errors.ChaosEdgeException("An object to apply has no apiVersion.");
        var kind = (string?)obj["kind"] ?? throw new Errors.ChaosEdgeException("An object to apply has no kind.");
        var name = obj.Name();
        var (plural, namespaced) = await ResolveAsync(apiVersion, kind, cancellationToken).ConfigureAwait(false);
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var resource = new ResourcePath(slash < 0 ? string.Empty : apiVersion[..slash], apiVersion[(slash + 1)..], plural);
        var ns = namespaced ? obj.Namespace() ?? defaultNamespace : null;
        if (namespaced && obj.Namespace() is null)
        {
            obj = (JsonObject)obj.DeepClone();
            obj.Metadata()["namespace"] = ns;
        }

        var target = resource.For(ns, name);
        var before = (await TryGetAsync(target, cancellationToken).ConfigureAwait(false))?.ResourceVersion();
        var applied = await PatchAsync($"APPLY {target}", target, new k8s.Models.V1Patch(obj.ToJsonString(), k8s.Models.V1Patch.PatchType.ApplyPatch), fieldManager, true, cancellationToken).ConfigureAwait(false);
        return (applied, before != applied.ResourceVersion());
    }

    /// <summary>The plural resource name of a kind, and whether it is namespaced, from API discovery (cached per group version).</summary>
    /// <exception cref="Errors.ChaosEdgeException">The API server does not serve that kind (a CRD not yet established, say).</exception>
    public async Task<(string Plural, bool Namespaced)> ResolveAsync(string apiVersion, string kind, CancellationToken cancellationToken = default)
    {
        if (!discovery.TryGetValue(apiVersion, out var kinds) || !kinds.ContainsKey(kind))
        {
            // Discovery documents are not resources; the library has typed calls only for the built-in groups.
            var path = apiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{apiVersion}" : $"/api/{apiVersion}";
            var (status, body) = await GetRawAsync(path, cancellationToken).ConfigureAwait(false);
            if (status is not (System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.NotFound))
            {
                throw new KubeApiException("GET", path, status, null, body.Length > 500 ? body[..500] : body);
            }

            var list = status == System.Net.HttpStatusCode.OK ? JsonNode.Parse(body) as JsonObject : null;
            kinds = (list?["resources"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Where(r => ((string?)r["name"])?.Contains('/', StringComparison.Ordinal) == false)
                .GroupBy(r => (string?)r["kind"] ?? string.Empty, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => ((string)g.First()["name"]!, (bool?)g.First()["namespaced"] ?? false), StringComparer.Ordinal);
            discovery[apiVersion] = kinds;
        }

        return kinds.TryGetValue(kind, out var found)
            ? found
            : throw new Errors.ChaosEdgeException($"The API server at {Config.Server} does not serve kind '{kind}' in '{apiVersion}' (is its CustomResourceDefinition installed and established?).");
    }
}
