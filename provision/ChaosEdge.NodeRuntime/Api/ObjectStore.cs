using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.NodeRuntime.Etcd;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>
/// Kubernetes object semantics over etcd, as kube-apiserver's storage layer has them: one key per object under
/// <c>/registry</c>, the object's resourceVersion is the key's mod revision, every write is a compare-and-swap on it
/// (409 on a stale version), lists carry the store's revision, and watches continue from any revision still in etcd's
/// history (410 once compacted).
/// </summary>
internal sealed partial class ObjectStore(EtcdClient etcd, ResourceCatalog catalog, RuntimeOptions options, TimeProvider time)
{
    public const string RangesPrefix = "/registry/ranges/serviceips/";

    public EtcdClient Etcd => etcd;

    public ResourceCatalog Catalog => catalog;

    public static string Now(TimeProvider time) => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string MicroNow(TimeProvider time) => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public async Task<JsonObject> GetAsync(ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken = default)
    {
        var kv = await etcd.GetAsync(resource.Key(ns, name), cancellationToken).ConfigureAwait(false) ?? throw ApiError.NotFound(resource, name);
        return Decorate(resource, kv);
    }

    public async Task<(List<JsonObject> Items, long Revision)> ListAsync(ResourceInfo resource, string? ns, Selector labels, Selector fields, CancellationToken cancellationToken = default)
    {
        var prefix = resource.Prefix(ns);
        var (items, revision) = await etcd.RangeAsync(prefix, EtcdClient.RangeEnd(prefix), cancellationToken: cancellationToken).ConfigureAwait(false);
        return ([.. items.Select(kv => Decorate(resource, kv)).Where(o => labels.Matches(o) && fields.Matches(o))], revision);
    }

    public async Task<JsonObject> CreateAsync(ResourceInfo resource, string? ns, JsonObject obj, CancellationToken cancellationToken = default)
    {
        var metadata = obj.Metadata();
        if (resource.Namespaced)
        {
            var declared = (string?)metadata["namespace"];
            if (declared is not null && ns is not null && declared != ns)
            {
                throw ApiError.BadRequest($"the namespace of the provided object ({declared}) does not match the namespace sent on the request ({ns})");
            }

            ns ??= declared ?? "default";
            metadata["namespace"] = ns;
            if (await etcd.GetAsync(ResourceCatalog.Namespaces.Key(null, ns), cancellationToken).ConfigureAwait(false) is null)
            {
                throw new ApiError(404, "NotFound", $"namespaces \"{ns}\" not found");
            }
        }
        else
        {
            metadata.Remove("namespace");
        }

        var name = (string?)metadata["name"];
        if (string.IsNullOrEmpty(name))
        {
            var generate = (string?)metadata["generateName"] ?? throw new ApiError(422, "Invalid", $"{resource.Kind} is invalid: metadata.name: Required value: name or generateName is required");
            name = generate + RandomSuffix();
            metadata["name"] = name;
        }

        obj["apiVersion"] = resource.ApiVersion;
        obj["kind"] = resource.Kind;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now(time);
        if (obj["spec"] is not null)
        {
            metadata["generation"] = 1;
        }

        await AdmitAsync(resource, obj, cancellationToken).ConfigureAwait(false);
        var revision = await etcd.PutIfAsync(resource.Key(ns, name), Encode(obj), 0, cancellationToken).ConfigureAwait(false)
            ?? throw ApiError.AlreadyExists(resource, name);
        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return obj;
    }

    public async Task<JsonObject> UpdateAsync(ResourceInfo resource, string? ns, string name, JsonObject obj, bool statusOnly, CancellationToken cancellationToken = default)
    {
        var key = resource.Key(ns, name);
        var currentKv = await etcd.GetAsync(key, cancellationToken).ConfigureAwait(false) ?? throw ApiError.NotFound(resource, name);
        var current = Decorate(resource, currentKv);
        var requested = obj.ResourceVersion();
        var expected = requested.Length > 0 && long.TryParse(requested, out var rv) ? rv : currentKv.ModRevision;
        if (expected != currentKv.ModRevision)
        {
            throw ApiError.Conflict(resource, name);
        }

        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)current.DeepClone();
            next["status"] = obj["status"]?.DeepClone();
        }
        else
        {
            next = (JsonObject)obj.DeepClone();
            if (resource.HasStatus)
            {
                next["status"] = current["status"]?.DeepClone();
            }

            var metadata = next.Metadata();
            foreach (var kept in new[] { "uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds" })
            {
                metadata[kept] = current["metadata"]?[kept]?.DeepClone();
            }

            metadata["name"] = name;
            var generation = (long?)current["metadata"]?["generation"] ?? 0;
            metadata["generation"] = JsonNode.DeepEquals(current["spec"], next["spec"]) ? generation : generation + 1;
        }

        next["apiVersion"] = resource.ApiVersion;
        next["kind"] = resource.Kind;
        var revision = await etcd.PutIfAsync(key, Encode(next), expected, cancellationToken).ConfigureAwait(false) ?? throw ApiError.Conflict(resource, name);
        next.Metadata()["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return next;
    }

    /// <summary>
    /// Server-side apply, the subset the lab needs: creates the object when absent, otherwise merges the applied fields
    /// into it (objects field by field, lists replaced) and writes only when that changes something, so a repeated apply
    /// keeps the resourceVersion. Field ownership is not tracked: every apply is forced.
    /// </summary>
    public async Task<JsonObject> ApplyAsync(ResourceInfo resource, string? ns, string name, string body, CancellationToken cancellationToken = default)
    {
        var applied = (JsonNode.Parse(body) as JsonObject) ?? throw new ApiError(415, "UnsupportedMediaType", "the lab's server-side apply accepts the applied configuration as JSON (which is YAML)");
        if (applied.Name() != name)
        {
            throw ApiError.BadRequest($"the name of the object ({applied.Name()}) does not match the name on the URL ({name})");
        }

        for (var attempt = 0; ; attempt++)
        {
            JsonObject current;
            try
            {
                current = await GetAsync(resource, ns, name, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code == 404)
            {
                return await CreateAsync(resource, ns, applied, cancellationToken).ConfigureAwait(false);
            }

            var merged = (JsonObject)Patches.Merge(current, applied)!;
            if (JsonNode.DeepEquals(merged, current))
            {
                return current;
            }

            try
            {
                return await UpdateAsync(resource, ns, name, merged, statusOnly: false, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code == 409 && attempt < 5)
            {
            }
        }
    }

    public async Task<JsonObject> PatchAsync(ResourceInfo resource, string? ns, string name, string contentType, string body, bool statusOnly, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(resource, ns, name, cancellationToken).ConfigureAwait(false);
            var patched = Patches.Apply(current, contentType, body);
            var patchVersion = (JsonNode.Parse(body) as JsonObject)?["metadata"]?["resourceVersion"];
            if (patchVersion is null)
            {
                patched.Metadata()["resourceVersion"] = current.ResourceVersion();
            }

            try
            {
                return await UpdateAsync(resource, ns, name, patched, statusOnly, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code == 409 && patchVersion is null && attempt < 5)
            {
                // A patch without a resourceVersion applies to whatever is current: retry on a concurrent write.
            }
        }
    }

    /// <summary>
    /// Deletes (or, for a pod on a node, marks for deletion) whatever is current. A delete has no preconditions here, so
    /// as in Kubernetes a concurrent write — a kubelet's status update, say — is retried rather than answered 409.
    /// </summary>
    public async Task<JsonObject> DeleteAsync(ResourceInfo resource, string? ns, string name, long? gracePeriodSeconds, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DeleteCurrentAsync(resource, ns, name, gracePeriodSeconds, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code == 409 && attempt < 10)
            {
            }
        }
    }

    private async Task<JsonObject> DeleteCurrentAsync(ResourceInfo resource, string? ns, string name, long? gracePeriodSeconds, CancellationToken cancellationToken)
    {
        var key = resource.Key(ns, name);
        var kv = await etcd.GetAsync(key, cancellationToken).ConfigureAwait(false) ?? throw ApiError.NotFound(resource, name);
        var current = Decorate(resource, kv);

        // Pods on a node end gracefully: the API marks them, and that node's kubelet stops them and deletes them
        // for good. A pod on a node that is gone stays Terminating, as in Kubernetes, until forced (grace 0).
        if (resource == ResourceCatalog.Pods && current.Text("spec.nodeName") is not null && gracePeriodSeconds != 0)
        {
            if (current["metadata"]?["deletionTimestamp"] is not null)
            {
                return current;
            }

            var grace = gracePeriodSeconds ?? (long?)current["spec"]?["terminationGracePeriodSeconds"] ?? 30;
            current.Metadata()["deletionTimestamp"] = time.GetUtcNow().UtcDateTime.AddSeconds(grace).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            current.Metadata()["deletionGracePeriodSeconds"] = grace;
            var revision = await etcd.PutIfAsync(key, Encode(current), kv.ModRevision, cancellationToken).ConfigureAwait(false) ?? throw ApiError.Conflict(resource, name);
            current.Metadata()["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
            return current;
        }

        if (await etcd.DeleteAsync(key, null, kv.ModRevision, cancellationToken).ConfigureAwait(false) < 0)
        {
            throw ApiError.Conflict(resource, name);
        }

        if (resource == ResourceCatalog.Namespaces)
        {
            foreach (var contained in catalog.All.Where(r => r.Namespaced))
            {
                var prefix = contained.Prefix(name);
                await etcd.DeleteAsync(prefix, EtcdClient.RangeEnd(prefix), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        else if (resource == ResourceCatalog.Services && current.Text("spec.clusterIP") is { } ip && IPAddress.TryParse(ip, out _))
        {
            await etcd.DeleteAsync(RangesPrefix + ip, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return current;
    }

    /// <summary>Watch events (<c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c>) after <paramref name="resourceVersion"/>; "" or "0" starts with the current state.</summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(
        ResourceInfo resource, string? ns, string? resourceVersion, Selector labels, Selector fields, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long start;
        if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
        {
            var (items, revision) = await ListAsync(resource, ns, labels, fields, cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                yield return ("ADDED", item);
            }

            start = revision + 1;
        }
        else if (long.TryParse(resourceVersion, out var version))
        {
            start = version + 1;
        }
        else
        {
            throw ApiError.BadRequest($"invalid resource version: '{resourceVersion}'");
        }

        bool Matches(JsonObject o) => labels.Matches(o) && fields.Matches(o);
        var stream = etcd.WatchAsync(resource.Prefix(ns), start, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await stream.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (EtcdCompactedException e)
                {
                    throw ApiError.Expired($"too old resource version: {start - 1} ({e.CompactRevision})");
                }

                var evt = stream.Current;
                var previous = evt.Previous is { } p ? Decorate(resource, p) : null;
                if (evt.IsDelete)
                {
                    if (previous is not null && Matches(previous))
                    {
                        previous.Metadata()["resourceVersion"] = evt.Current.ModRevision.ToString(CultureInfo.InvariantCulture);
                        yield return ("DELETED", previous);
                    }

                    continue;
                }

                var current = Decorate(resource, evt.Current);
                var before = previous is not null && Matches(previous);
                if (Matches(current))
                {
                    yield return (before ? "MODIFIED" : "ADDED", current);
                }
                else if (before)
                {
                    yield return ("DELETED", current);
                }
            }
        }
    }

    public JsonObject Decorate(ResourceInfo resource, EtcdKeyValue kv)
    {
        var obj = JsonNode.Parse(kv.Value) as JsonObject ?? [];
        obj["apiVersion"] ??= resource.ApiVersion;
        obj["kind"] ??= resource.Kind;
        obj.Metadata()["resourceVersion"] = kv.ModRevision.ToString(CultureInfo.InvariantCulture);
        return obj;
    }

    private static byte[] Encode(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        var metadata = copy.Metadata();
        metadata.Remove("resourceVersion");
        metadata.Remove("managedFields");
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    private static string RandomSuffix()
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return new string([.. RandomNumberGenerator.GetItems<char>(Alphabet, 5)]);
    }
}
