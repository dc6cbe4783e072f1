using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>
/// The API server: a subset of kube-apiserver over HTTPS (the lab CA's certificate, carrying the VIP as a SAN), with
/// bearer-token authentication, discovery, server-side tables, and kube-apiserver's health endpoints — /readyz and
/// /healthz fail when this node's etcd cannot serve a quorum read within 2 s. Also K3s's join endpoints.
/// </summary>
internal sealed partial class ApiServer(ObjectStore store, RuntimeOptions options, ServerCredentials credentials, ILoggerFactory loggers, TimeProvider time)
{
    /// <summary>The release the lab models (what <c>k3s --version</c>, <c>/version</c> and the nodes' kubelet version say).</summary>
    public const string KubernetesVersion = ChaosEdge.Inventory.K3sSettings.LabRelease;
    private static readonly TimeSpan EtcdCheckTimeout = TimeSpan.FromSeconds(2);
    private readonly ILogger logger = loggers.CreateLogger("apiserver");

    public JoinService? Join { get; init; }

    public async Task<WebApplication> StartAsync(CancellationToken cancellationToken)
    {
        var clientAuthorities = credentials.ClientCaPem is null ? null : X509Certificate2.CreateFromPem(credentials.ClientCaPem);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Any, options.HttpsPort, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = X509Certificate2.CreateFromPem(credentials.ServingCertificatePem, credentials.ServingKeyPem),
                // As kube-apiserver: a client certificate is asked for, not required, and one that is given must chain to
                // the client CA (K3s's admin kubeconfig authenticates with one); a bearer token is the other way in.
                ClientCertificateMode = clientAuthorities is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (certificate, _, _) => clientAuthorities is not null && SignedBy(clientAuthorities, certificate),
                CheckCertificateRevocation = false,
            }));
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("API server listening on :{Port}", options.HttpsPort);
        return app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        try
        {
            if (await HandlePublicAsync(context, path).ConfigureAwait(false))
            {
                return;
            }

            if (!Authenticated(context))
            {
                await WriteAsync(context, 401, ApiError.Status(401, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
                return;
            }

            await HandleResourceAsync(context, path).ConfigureAwait(false);
        }
        catch (ApiError e)
        {
            await WriteAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
        }
        catch (Etcd.EtcdUnavailableException e)
        {
            if (!context.Response.HasStarted)
            {
                await WriteAsync(context, 500, ApiError.Status(500, "InternalError", "etcd is unavailable: " + e.Message)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (System.Text.Json.JsonException e)
        {
            await WriteAsync(context, 400, ApiError.Status(400, "BadRequest", "the request body is not valid JSON: " + e.Message)).ConfigureAwait(false);
        }
    }

    private bool Authenticated(HttpContext context)
    {
        // Kestrel accepted the handshake only with a certificate the client CA signed (ClientCertificateValidation).
        if (context.Connection.ClientCertificate is not null)
        {
            return true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(credentials.AdminToken));
    }

    private static bool SignedBy(X509Certificate2 authority, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

        private async Task<bool> HandlePublicAsync(HttpContext context, string path)
    {
        switch (path)
        {
            case "/livez":
                await WriteTextAsync(context, 200, Verbose(context, [("ping", null), ("log", null)], "livez")).ConfigureAwait(false);
                return true;
            case "/readyz" or "/healthz":
                var etcdError = await CheckEtcdAsync(context.RequestAborted).ConfigureAwait(false);
                var text = Verbose(context, [("ping", null), ("log", null), ("etcd", etcdError), ("informer-sync", null)], path[1..]);
                await WriteTextAsync(context, etcdError is null ? 200 : 500, text).ConfigureAwait(false);
                return true;
            case "/version":
                await WriteAsync(context, 200, new JsonObject
                {
                    ["major"] = "1", ["minor"] = KubernetesVersion.Split('.')[1], ["gitVersion"] = KubernetesVersion, ["gitCommit"] = "chaosedge-lab", ["gitTreeState"] = "clean",
                    ["buildDate"] = "2026-01-01T00:00:00Z", ["goVersion"] = "n/a (ChaosEdge virtual lab)", ["compiler"] = "dotnet", ["platform"] = "linux/amd64",
                }).ConfigureAwait(false);
                return true;
            case "/cacerts":
                await WriteTextAsync(context, 200, credentials.ServerCaPem).ConfigureAwait(false);
                return true;
        }

        if (path.StartsWith("/v1-k3s/", StringComparison.Ordinal))
        {
            if (Join is null)
            {
                await WriteAsync(context, 404, ApiError.Status(404, "NotFound", "not a server")).ConfigureAwait(false);
            }
            else
            {
                await Join.HandleAsync(context, path).ConfigureAwait(false);
            }

            return true;
        }

        return false;
    }

    /// <summary>kube-apiserver's etcd check: a quorum (linearizable) read, bounded at 2 s.</summary>
    private async Task<string?> CheckEtcdAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.Etcd.RangeAsync("/registry/health", timeout: EtcdCheckTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Etcd.EtcdUnavailableException e)
        {
            return e.Message;
        }
    }

    private static string Verbose(HttpContext context, (string Name, string? Error)[] checks, string name)
    {
        var failed = checks.Where(c => c.Error is not null).ToList();
        if (!context.Request.Query.ContainsKey("verbose"))
        {
            return failed.Count == 0 ? "ok" : string.Concat(failed.Select(f => $"[-]{f.Name} failed: reason withheld\n")) + $"{name} check failed";
        }

        var text = new StringBuilder();
        foreach (var (check, error) in checks)
        {
            text.Append(error is null ? $"[+]{check} ok\n" : $"[-]{check} failed: reason withheld\n");
        }

        text.Append(failed.Count == 0 ? $"{name} check passed\n" : $"{name} check failed\n");
        return text.ToString();
    }

    internal static async Task WriteAsync(HttpContext context, int code, JsonNode body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteTextAsync(HttpContext context, int code, string body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
