using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// A small Kubernetes API client over HTTPS: get, list, watch, create, replace, patch, delete of any resource, held as
/// JSON. The server's certificate is verified against the kubeconfig's CA (and its name against the URL); the token
/// goes in an <c>Authorization: Bearer</c> header and never into a message.
/// </summary>
public sealed partial class KubeClient : IDisposable
{
    private readonly HttpClient http;
    private readonly TimeSpan requestTimeout;

    public KubeClient(KubeConfig config, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var authorities = config.CertificateAuthorities();
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = config.TlsServerName,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Verify(authorities, certificate, errors),
            },
        };
        // The timeout applies per request (not to the whole HttpClient), so a watch can stream for its own duration.
        this.requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30);
        HttpMessageHandler pipeline = config.TokenProvider is { } provider ? new TokenProviderHandler(provider, handler) : handler;
        http = new HttpClient(pipeline) { BaseAddress = config.Server, Timeout = Timeout.InfiniteTimeSpan };
        if (config.ClientCertificatePem is not null && config.ClientKeyPem is not null)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPem(config.ClientCertificatePem, config.ClientKeyPem)];
        }
        else if (config.TokenProvider is null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.Token);
        }

        http.DefaultRequestHeaders.UserAgent.ParseAdd("chaosedge/0.1");
    }

    public KubeConfig Config { get; }

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

    public async Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false);

    /// <summary>GET, or null on 404.</summary>
    public async Task<JsonObject?> TryGetAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Lists a collection; returns its items and the list's resourceVersion (where a watch continues).</summary>
    public async Task<(IReadOnlyList<JsonObject> Items, string ResourceVersion)> ListAsync(
        string path, string? labelSelector = null, string? fieldSelector = null, CancellationToken cancellationToken = default)
    {
        var list = await GetAsync(path + Query(("labelSelector", labelSelector), ("fieldSelector", fieldSelector)), cancellationToken).ConfigureAwait(false);
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return (items, list.ResourceVersion());
    }

    public Task<JsonObject> CreateAsync(string collectionPath, JsonObject obj, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, collectionPath, obj.ToJsonString(), "application/json", cancellationToken);

    public Task<JsonObject> ReplaceAsync(string path, JsonObject obj, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, path, obj.ToJsonString(), "application/json", cancellationToken);

    /// <summary>Patches with a JSON merge patch (RFC 7386) unless another content type is given.</summary>
    public Task<JsonObject> PatchAsync(string path, JsonNode patch, string contentType = "application/merge-patch+json", CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, path, patch.ToJsonString(), contentType, cancellationToken);

    public Task<JsonObject> DeleteAsync(string path, long? gracePeriodSeconds = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, path + Query(("gracePeriodSeconds", gracePeriodSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture))), null, null, cancellationToken);

    /// <summary>
    /// Watches a collection from <paramref name="resourceVersion"/> until the server ends the stream or
    /// <paramref name="timeout"/> passes. A 410 (the version was compacted) surfaces as a <see cref="KubeApiException"/>
    /// with <see cref="KubeApiException.IsExpired"/>, whether it comes as the response status or as an ERROR event.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        string path, string resourceVersion, string? labelSelector = null, string? fieldSelector = null, TimeSpan? timeout = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seconds = (int)(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds;
        var query = Query(("watch", "true"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"), ("timeoutSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("labelSelector", labelSelector), ("fieldSelector", fieldSelector));
        using var request = new HttpRequestMessage(HttpMethod.Get, path + query);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds + 10));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync("WATCH", path, response, cts.Token).ConfigureAwait(false);
        }

        using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cts.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject evt)
            {
                continue;
            }

            var type = (string?)evt["type"] ?? string.Empty;
            var obj = evt["object"] as JsonObject ?? [];
            if (type == "ERROR")
            {
                var code = (int?)obj["code"] ?? 500;
                throw new KubeApiException("WATCH", path, (HttpStatusCode)code, (string?)obj["reason"], (string?)obj["message"] ?? "watch error");
            }

            yield return new WatchEvent(type, obj);
        }
    }

    /// <summary>GET of a non-resource path (<c>/readyz</c>); returns the status code and body without throwing.</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetRawAsync(string path, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        try
        {
            using var response = await http.GetAsync(path, timeout.Token).ConfigureAwait(false);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut("GET", path, e);
        }
    }

    public void Dispose() => http.Dispose();

    private TaskCanceledException TimedOut(string method, string path, Exception inner) =>
        new($"{method} {Config.Server}{path.TrimStart('/')} got no answer within {requestTimeout.TotalSeconds:0.#} s.", inner);

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(requestTimeout);
            try
            {
                using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorAsync(method.Method, path, response, timeout.Token).ConfigureAwait(false);
                }

                var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return JsonNode.Parse(text) as JsonObject ?? [];
            }
            catch (HttpRequestException) when (attempt == 1 && method == HttpMethod.Get && !timeout.IsCancellationRequested)
            {
                // A pooled connection the other end dropped — the VIP moved, and its new holder answers the old
                // connection with a reset — says nothing about the API: a GET is sent once more, on a new connection.
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(method.Method, path, e);
            }
        }
    }

    private static async Task<KubeApiException> ErrorAsync(string method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
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

        return new KubeApiException(method, path, response.StatusCode, reason, message);
    }

    private static string Query(params (string Key, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    /// <summary>Asks the token provider (exec plugin, OIDC, token file) for every request's Authorization header.</summary>
    private sealed class TokenProviderHandler(k8s.Authentication.ITokenProvider provider, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = await provider.GetAuthenticationHeaderAsync(cancellationToken).ConfigureAwait(false);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
