using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// The harness's access to an API server, through KubernetesClient: typed operations (<see cref="CallAsync{T}"/> on
/// <see cref="IKubernetes"/>) for the core kinds, and get, list, watch, create, replace, patch, delete and server-side
/// apply of any resource held as JSON (CRDs such as Longhorn's and MetalLB's) through the library's generic operations.
/// The server's certificate is verified against the kubeconfig's CA, and its name against the URL (the library's own
/// check accepts a certificate for another name once the chain is good); tokens, exec plugins and OIDC are the library's.
/// Errors are <see cref="KubeApiException"/> and timeouts name the request, never a credential.
/// </summary>
public sealed partial class KubeClient : IDisposable
{
    private readonly Transport api;
    private readonly TimeSpan requestTimeout;

    public KubeClient(KubeConfig config, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        // The timeout applies per request (a watch runs for its own duration).
        this.requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30);
        var authorities = config.CertificateAuthorities();
        var withCertificate = config.ClientCertificatePem is not null && config.ClientKeyPem is not null;
        var settings = new KubernetesClientConfiguration
        {
            Host = config.Server.AbsoluteUri,
            // No SslCaCerts: given them, the library installs its own check, which ignores a name mismatch. Ours is set below.
            TlsServerName = config.TlsServerName,
            TokenProvider = config.TokenProvider,
            AccessToken = withCertificate || config.TokenProvider is not null || config.Token.Length == 0 ? null : config.Token,
            ClientCertificateData = withCertificate ? Base64(config.ClientCertificatePem!) : null,
            ClientCertificateKeyData = withCertificate ? Base64(config.ClientKeyPem!) : null,
            HttpClientTimeout = this.requestTimeout,
            UserAgent = "chaosedge/0.1",
            // HTTP/1.1, a connection per request in flight: with HTTP/2 every request and watch would share one
            // connection, and one to a powered-off VIP holder is found dead only by the library's ping, minutes later.
            DisableHttp2 = true,
            FirstMessageHandlerSetup = handler =>
            {
                handler.ConnectTimeout = TimeSpan.FromSeconds(3);
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(1);
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Verify(authorities, certificate, errors);
            },
        };
        api = new Transport(settings, new RetryDroppedGet());
    }

    public KubeConfig Config { get; }

    /// <summary>The library's client, for typed operations; call it through <see cref="CallAsync{T}"/> so errors read alike.</summary>
    public IKubernetes Api => api;

    /// <summary>Checks the server certificate against <paramref name="ca"/> alone, and its name against the URL.</summary>
    public static bool Verify(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors) => Verify([ca], certificate, errors);

    /// <summary>Checks the server certificate against <paramref name="authorities"/> alone, and its name against the URL.</summary>
    public static bool Verify(X509Certificate2Collection authorities, X509Certificate? certificate, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>
    /// A typed call on the library's client (<c>c.CoreV1.ListNodeAsync(cancellationToken: t)</c>): an error answer
    /// becomes a <see cref="KubeApiException"/>, no answer within the request timeout a <see cref="TaskCanceledException"/>
    /// naming <paramref name="what"/>.
    /// </summary>
    public async Task<T> CallAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call(api, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw Failed(what, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(what, e);
        }
    }

    /// <summary><see cref="CallAsync{T}"/>, or null when the object is not there (404).</summary>
    public async Task<T?> TryCallAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken = default)
        where T : class
    {
        try
        {
            return await CallAsync(what, call, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public Task<JsonObject> GetAsync(ResourceRef target, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(target);
        var name = NameOf(target);
        return BodyAsync($"GET {target}", (c, t) => (target.Namespace, target.Subresource) switch
        {
            (null, null) => c.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, plural, name, cancellationToken: t),
            (null, "status") => c.CustomObjects.GetClusterCustomObjectStatusWithHttpMessagesAsync<JsonObject>(group, version, plural, name, cancellationToken: t),
            ({ } ns, null) => c.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, ns, plural, name, cancellationToken: t),
            ({ } ns, "status") => c.CustomObjects.GetNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonObject>(group, version, ns, plural, name, cancellationToken: t),
            _ => throw Unsupported(target),
        }, cancellationToken);
    }

    /// <summary>GET, or null on 404.</summary>
    public async Task<JsonObject?> TryGetAsync(ResourceRef target, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Lists a collection; returns its items and the list's resourceVersion (where a watch continues).</summary>
    public async Task<(IReadOnlyList<JsonObject> Items, string ResourceVersion)> ListAsync(
        ResourceRef collection, string? labelSelector = null, string? fieldSelector = null, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(collection);
        var list = await BodyAsync($"LIST {collection}", (c, t) => collection.Namespace is { } ns
            ? c.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, ns, plural, labelSelector: labelSelector, fieldSelector: fieldSelector, cancellationToken: t)
            : c.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, plural, labelSelector: labelSelector, fieldSelector: fieldSelector, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return (items, list.ResourceVersion());
    }

    public Task<JsonObject> CreateAsync(ResourceRef collection, JsonObject obj, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(collection);
        return BodyAsync($"POST {collection}", (c, t) => collection.Namespace is { } ns
            ? c.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(obj, group, version, ns, plural, cancellationToken: t)
            : c.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<JsonObject>(obj, group, version, plural, cancellationToken: t), cancellationToken);
    }

    public Task<JsonObject> ReplaceAsync(ResourceRef target, JsonObject obj, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(target);
        var name = NameOf(target);
        return BodyAsync($"PUT {target}", (c, t) => (target.Namespace, target.Subresource) switch
        {
            (null, null) => c.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<JsonObject>(obj, group, version, plural, name, cancellationToken: t),
            ({ } ns, null) => c.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(obj, group, version, ns, plural, name, cancellationToken: t),
            ({ } ns, "status") => c.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonObject>(obj, group, version, ns, plural, name, cancellationToken: t),
            _ => throw Unsupported(target),
        }, cancellationToken);
    }

    /// <summary>Patches with a JSON merge patch (RFC 7386) unless another content type is given (JSON patch, strategic merge).</summary>
    public Task<JsonObject> PatchAsync(ResourceRef target, JsonNode patch, string contentType = "application/merge-patch+json", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var type = contentType switch
        {
            "application/merge-patch+json" => V1Patch.PatchType.MergePatch,
            "application/json-patch+json" => V1Patch.PatchType.JsonPatch,
            "application/strategic-merge-patch+json" => V1Patch.PatchType.StrategicMergePatch,
            _ => throw new ArgumentException($"Patch content type '{contentType}' is not one the harness sends.", nameof(contentType)),
        };
        return PatchAsync($"PATCH {target}", target, new V1Patch(patch.ToJsonString(), type), null, null, cancellationToken);
    }

    public Task<JsonObject> DeleteAsync(ResourceRef target, long? gracePeriodSeconds = null, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(target);
        var name = NameOf(target);
        var grace = gracePeriodSeconds is { } g ? (int?)checked((int)g) : null;
        return BodyAsync($"DELETE {target}", (c, t) => target.Namespace is { } ns
            ? c.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, ns, plural, name, gracePeriodSeconds: grace, cancellationToken: t)
            : c.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonObject>(group, version, plural, name, gracePeriodSeconds: grace, cancellationToken: t), cancellationToken);
    }

    /// <summary>
    /// Watches a collection from <paramref name="resourceVersion"/> until the server ends the stream or
    /// <paramref name="timeout"/> passes, through the library's watch. A 410 (the version was compacted) surfaces as a
    /// <see cref="KubeApiException"/> with <see cref="KubeApiException.IsExpired"/>, whether it comes as the response
    /// status or as an ERROR event. <see cref="KubeInformer"/> is the loop that lists, watches and re-lists.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        ResourceRef collection, string resourceVersion, string? labelSelector = null, string? fieldSelector = null, TimeSpan? timeout = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Parts(collection);
        var seconds = (int)(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds + 10));
        var what = $"WATCH {collection}";
        Exception? failure = null;
        var events = (collection.Namespace is { } ns
            ? api.CustomObjects.WatchListNamespacedCustomObjectAsync(group, version, ns, plural, allowWatchBookmarks: true, fieldSelector: fieldSelector,
                labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: e => failure ??= e, cancellationToken: cts.Token)
            : api.CustomObjects.WatchListClusterCustomObjectAsync(group, version, plural, allowWatchBookmarks: true, fieldSelector: fieldSelector,
                labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: seconds, onError: e => failure ??= e, cancellationToken: cts.Token))
            .GetAsyncEnumerator(cts.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (HttpOperationException e)
                {
                    throw Failed(what, e);
                }

                if (failure is not null)
                {
                    break;
                }

                var (type, obj) = events.Current;
                yield return new WatchEvent(type.ToString().ToUpperInvariant(), obj is System.Text.Json.JsonElement element ? JsonObject.Create(element) ?? [] : []);
            }
        }
        finally
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }

        switch (failure)
        {
            case null:
                yield break;
            case KubernetesException { Status: { } status }:
                throw new KubeApiException("WATCH", collection.ToString(), (HttpStatusCode)(status.Code ?? 500), status.Reason, status.Message ?? "watch error");
            default:
                throw new KubeApiException("WATCH", collection.ToString(), HttpStatusCode.InternalServerError, null, $"the watch stream could not be read: {failure.Message}");
        }
    }

    /// <summary>
    /// A LoadBalancer Service's first address (<c>status.loadBalancer.ingress[0].ip</c>) with its first port (80 when it
    /// names none), or null while the address is pending. A missing Service is a <see cref="KubeApiException"/> (404).
    /// </summary>
    public async Task<IPEndPoint?> LoadBalancerAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        var service = await CallAsync($"GET {ResourcePath.Services.For(ns, name)}", (c, t) => c.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        var ip = service.Status?.LoadBalancer?.Ingress?.FirstOrDefault()?.Ip;
        return ip is null ? null : new IPEndPoint(IPAddress.Parse(ip), service.Spec?.Ports?.FirstOrDefault()?.Port ?? 80);
    }

    /// <summary>GET of a non-resource path (<c>/readyz</c>, a discovery document); returns the status code and body without throwing.</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetRawAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        try
        {
            return await api.GetAsync(path.TrimStart('/'), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut($"GET {path}", e);
        }
    }

    public void Dispose() => api.Dispose();

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));

    private static (string Group, string Version, string Plural) Parts(ResourceRef target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return (target.Resource.Group, target.Resource.Version, target.Resource.Plural);
    }

    private static string NameOf(ResourceRef target) =>
        target.Name ?? throw new ArgumentException($"'{target}' names no object.", nameof(target));

    private static NotSupportedException Unsupported(ResourceRef target) => new($"The harness does not use '{target}'.");

    private async Task<JsonObject> PatchAsync(string what, ResourceRef target, V1Patch patch, string? fieldManager, bool? force, CancellationToken cancellationToken)
    {
        var (group, version, plural) = Parts(target);
        var name = NameOf(target);
        return await BodyAsync(what, (c, t) => (target.Namespace, target.Subresource) switch
        {
            (null, null) => c.CustomObjects.PatchClusterCustomObjectWithHttpMessagesAsync<JsonObject>(patch, group, version, plural, name, fieldManager: fieldManager, force: force, cancellationToken: t),
            (null, "status") => c.CustomObjects.PatchClusterCustomObjectStatusWithHttpMessagesAsync<JsonObject>(patch, group, version, plural, name, fieldManager: fieldManager, force: force, cancellationToken: t),
            ({ } ns, null) => c.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(patch, group, version, ns, plural, name, fieldManager: fieldManager, force: force, cancellationToken: t),
            ({ } ns, "status") => c.CustomObjects.PatchNamespacedCustomObjectStatusWithHttpMessagesAsync<JsonObject>(patch, group, version, ns, plural, name, fieldManager: fieldManager, force: force, cancellationToken: t),
            _ => throw Unsupported(target),
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<JsonObject> BodyAsync(string what, Func<IKubernetes, CancellationToken, Task<HttpOperationResponse<JsonObject>>> call, CancellationToken cancellationToken) =>
        CallAsync(what, async (c, t) =>
        {
            using var response = await call(c, t).ConfigureAwait(false);
            return response.Body ?? [];
        }, cancellationToken);

    private TaskCanceledException TimedOut(string what, Exception inner) =>
        new($"{what} on {Config.Server} got no answer within {requestTimeout.TotalSeconds:0.#} s.", inner);

    private static KubeApiException Failed(string what, HttpOperationException e)
    {
        var text = e.Response?.Content ?? string.Empty;
        string? reason = null;
        var message = text.Length > 500 ? text[..500] : text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject status)
            {
                reason = (string?)status["reason"];
                message = (string?)status["message"] ?? message;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        // "LIST nodes" names the method and the request; a bare description is all request.
        var space = what.IndexOf(' ', StringComparison.Ordinal);
        var (method, request) = space < 0 ? ("CALL", what) : (what[..space], what[(space + 1)..]);
        return new KubeApiException(method, request, e.Response?.StatusCode ?? HttpStatusCode.InternalServerError, reason, message);
    }

    /// <summary>The library's client, with the one request it has no operation for: a GET of a path outside the resource API.</summary>
    private sealed class Transport(KubernetesClientConfiguration settings, params DelegatingHandler[] handlers) : k8s.Kubernetes(settings, handlers)
    {
        public async Task<(HttpStatusCode Status, string Body)> GetAsync(string relativePath, CancellationToken cancellationToken)
        {
            try
            {
                using var response = await SendRequest<object?>(relativePath, HttpMethod.Get, null, null, cancellationToken).ConfigureAwait(false);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response is not null)
            {
                return (e.Response.StatusCode, e.Response.Content ?? string.Empty);
            }
        }
    }

    /// <summary>
    /// A pooled connection the other end dropped — the VIP moved, and its new holder answers the old connection with a
    /// reset — says nothing about the API: a GET is sent once more, on a new connection.
    /// </summary>
    private sealed class RetryDroppedGet : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (request.Method == HttpMethod.Get && !cancellationToken.IsCancellationRequested)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
