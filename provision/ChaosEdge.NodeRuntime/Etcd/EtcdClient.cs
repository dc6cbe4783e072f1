using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Etcd;

/// <summary>One key-value pair as etcd holds it.</summary>
internal sealed record EtcdKeyValue(string Key, byte[] Value, long CreateRevision, long ModRevision);

/// <summary>One event of an etcd watch; <see cref="Previous"/> is the value before (asked for with prev_kv).</summary>
internal sealed record EtcdEvent(bool IsDelete, EtcdKeyValue Current, EtcdKeyValue? Previous);

/// <summary>The watch's start revision has been compacted away; the caller must re-read.</summary>
internal sealed class EtcdCompactedException(long compactRevision) : Exception($"The revision was compacted (compact revision {compactRevision}).")
{
    public long CompactRevision { get; } = compactRevision;
}

/// <summary>
/// An etcd v3 client over etcd's JSON gateway (the gRPC gateway every etcd 3.4 member serves on its client URL), with
/// mutual TLS: the member's certificate is checked against the etcd CA, and the runtime presents its client certificate.
/// With several endpoints (an external etcd cluster, K3s's <c>--datastore-endpoint</c>) it uses one at a time and moves
/// to the next when one cannot be reached or does not answer in time, as etcd's own client balances; a request that
/// could not connect at all is sent again to the next, one that may have arrived is not.
/// </summary>
internal sealed class EtcdClient : IDisposable
{
    private readonly HttpClient http;
    private readonly Uri[] endpoints;
    private int current;

    public EtcdClient(Uri endpoint, X509Certificate2 ca, X509Certificate2 clientCertificate, TimeSpan? timeout = null)
        : this([endpoint], ca, clientCertificate, timeout)
    {
    }

    public EtcdClient(IReadOnlyList<Uri> endpoints, X509Certificate2 ca, X509Certificate2 clientCertificate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        this.endpoints = endpoints.Count > 0 ? [.. endpoints] : throw new ArgumentException("At least one etcd endpoint is needed.", nameof(endpoints));
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => KubeClient.Verify(ca, certificate, errors),
            },
        };
        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        DefaultTimeout = timeout ?? TimeSpan.FromSeconds(5);
    }

    public TimeSpan DefaultTimeout { get; }

    public static string RangeEnd(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        bytes[^1]++;
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A linearizable read (it needs a quorum) unless <paramref name="serializable"/>.</summary>
    public async Task<(IReadOnlyList<EtcdKeyValue> Items, long Revision)> RangeAsync(
        string key, string? rangeEnd = null, bool serializable = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["key"] = B64(key), ["serializable"] = serializable };
        if (rangeEnd is not null)
        {
            body["range_end"] = B64(rangeEnd);
        }

        var result = await PostAsync("/v3/kv/range", body, timeout, cancellationToken).ConfigureAwait(false);
        var items = (result["kvs"] as JsonArray ?? []).OfType<JsonObject>().Select(Kv).ToList();
        return (items, Revision(result));
    }

    public async Task<EtcdKeyValue?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        (await RangeAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false)).Items.FirstOrDefault();

    /// <summary>
    /// Writes <paramref name="value"/> if the key's mod revision is <paramref name="expectedModRevision"/> (0: the key
    /// must not exist; null: unconditionally). Returns the new revision, or null when the condition failed.
    /// </summary>
    public async Task<long?> PutIfAsync(string key, byte[] value, long? expectedModRevision, CancellationToken cancellationToken = default)
    {
        var put = new JsonObject { ["request_put"] = new JsonObject { ["key"] = B64(key), ["value"] = Convert.ToBase64String(value) } };
        var body = new JsonObject { ["success"] = new JsonArray(put) };
        if (expectedModRevision is { } expected)
        {
            body["compare"] = new JsonArray(new JsonObject
            {
                ["key"] = B64(key), ["result"] = "EQUAL", ["target"] = "MOD", ["mod_revision"] = expected.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        var result = await PostAsync("/v3/kv/txn", body, null, cancellationToken).ConfigureAwait(false);
        return (bool?)result["succeeded"] == true ? Revision(result) : null;
    }

    /// <summary>Deletes a key (or a range); with <paramref name="expectedModRevision"/>, only if unchanged. Returns the count deleted.</summary>
    public async Task<long> DeleteAsync(string key, string? rangeEnd = null, long? expectedModRevision = null, CancellationToken cancellationToken = default)
    {
        var delete = new JsonObject { ["key"] = B64(key) };
        if (rangeEnd is not null)
        {
            delete["range_end"] = B64(rangeEnd);
        }

        var body = new JsonObject { ["success"] = new JsonArray(new JsonObject { ["request_delete_range"] = delete }) };
        if (expectedModRevision is { } expected)
        {
            body["compare"] = new JsonArray(new JsonObject
            {
                ["key"] = B64(key), ["result"] = "EQUAL", ["target"] = "MOD", ["mod_revision"] = expected.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        var result = await PostAsync("/v3/kv/txn", body, null, cancellationToken).ConfigureAwait(false);
        if ((bool?)result["succeeded"] != true)
        {
            return -1;
        }

        return long.TryParse((string?)result["responses"]?[0]?["response_delete_range"]?["deleted"], out var deleted) ? deleted : 0;
    }

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        PostAsync("/v3/kv/compaction", new JsonObject { ["revision"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) }, null, cancellationToken);

    public Task<JsonObject> MemberListAsync(CancellationToken cancellationToken = default) =>
        PostAsync("/v3/cluster/member/list", [], null, cancellationToken);

    public Task<JsonObject> MemberAddAsync(string peerUrl, CancellationToken cancellationToken = default) =>
        PostAsync("/v3/cluster/member/add", new JsonObject { ["peerURLs"] = new JsonArray(peerUrl) }, null, cancellationToken);

    public Task<JsonObject> MemberRemoveAsync(string id, CancellationToken cancellationToken = default) =>
        PostAsync("/v3/cluster/member/remove", new JsonObject { ["ID"] = id }, null, cancellationToken);

    public Task<JsonObject> StatusAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PostAsync("/v3/maintenance/status", [], timeout, cancellationToken);

    /// <summary>Streams changes under <paramref name="prefix"/> from <paramref name="startRevision"/> on.</summary>
    public async IAsyncEnumerable<EtcdEvent> WatchAsync(string prefix, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var create = new JsonObject
        {
            ["create_request"] = new JsonObject
            {
                ["key"] = B64(prefix), ["range_end"] = B64(RangeEnd(prefix)), ["prev_kv"] = true,
                ["start_revision"] = startRevision.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        var endpoint = current;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoints[endpoint], "/v3/watch")) { Content = JsonContent.Create(create) };
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            MoveOn(endpoint);
            throw;
        }

        using var owned = response;
        response.EnsureSuccessStatusCode();
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0 || JsonNode.Parse(line)?["result"] is not JsonObject result)
            {
                continue;
            }

            if (long.TryParse((string?)result["compact_revision"], out var compacted) && compacted > 0)
            {
                throw new EtcdCompactedException(compacted);
            }

            if ((bool?)result["canceled"] == true)
            {
                yield break;
            }

            foreach (var evt in (result["events"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var previous = evt["prev_kv"] is JsonObject prev ? Kv(prev) : null;
                yield return new EtcdEvent((string?)evt["type"] == "DELETE", Kv((JsonObject)evt["kv"]!), previous);
            }
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The endpoint after <paramref name="failed"/> becomes the current one (unless another call moved on already).</summary>
    private void MoveOn(int failed) => Interlocked.CompareExchange(ref current, (failed + 1) % endpoints.Length, failed);

    private async Task<JsonObject> PostAsync(string path, JsonObject body, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = current;
            try
            {
                return await PostToAsync(endpoints[endpoint], path, body, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (EtcdUnavailableException e) when (endpoints.Length > 1 && !cancellationToken.IsCancellationRequested)
            {
                MoveOn(endpoint);
                if (!e.NotSent || attempt >= endpoints.Length)
                {
                    throw;
                }
            }
        }
    }

    private async Task<JsonObject> PostToAsync(Uri endpoint, string path, JsonObject body, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri(endpoint, path), body, cts.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new EtcdUnavailableException($"etcd answered {(int)response.StatusCode} to {path}: {text}");
            }

            return JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EtcdUnavailableException($"etcd did not answer {path} within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            // No connection (refused, unreachable, TLS refused): the request never reached a member.
            throw new EtcdUnavailableException($"etcd at {endpoint.Authority} is unreachable for {path}: {e.Message}") { NotSent = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };
        }
    }

    private static long Revision(JsonObject result) => long.TryParse((string?)result["header"]?["revision"], out var revision) ? revision : 0;

    private static EtcdKeyValue Kv(JsonObject kv) => new(
        Encoding.UTF8.GetString(Convert.FromBase64String((string?)kv["key"] ?? string.Empty)),
        Convert.FromBase64String((string?)kv["value"] ?? string.Empty),
        long.TryParse((string?)kv["create_revision"], out var created) ? created : 0,
        long.TryParse((string?)kv["mod_revision"], out var modified) ? modified : 0);

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}

/// <summary>etcd did not answer (down, no quorum, timeout): the API answers 500 or 504.</summary>
internal sealed class EtcdUnavailableException(string message) : Exception(message)
{
    /// <summary>The request reached no member (no connection): sending it elsewhere cannot apply it twice.</summary>
    public bool NotSent { get; init; }
}
