using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Where the API is and how to trust and authenticate to it: a kubeconfig context, read by KubernetesClient as kubectl
/// reads it, reduced to a server URL, the CA that must have signed the server's certificate, and a bearer token, a token
/// provider (exec plugin, OIDC, token file) or a client certificate (K3s's admin kubeconfig carries the latter).
/// </summary>
public sealed record KubeConfig(Uri Server, string CertificateAuthorityPem, string Token)
{
    /// <summary>The client certificate (PEM) to authenticate with instead of a token; <c>null</c> when a token is used.</summary>
    public string? ClientCertificatePem { get; init; }

    /// <summary>The client certificate's private key (PEM, a secret).</summary>
    public string? ClientKeyPem { get; init; }

    /// <summary>
    /// Where a token that changes comes from (an exec credential plugin, OIDC, a token file): asked for the
    /// <c>Authorization</c> header of every request, so it is renewed when it runs out. <c>null</c> with a fixed token
    /// or a client certificate.
    /// </summary>
    public k8s.Authentication.ITokenProvider? TokenProvider { get; init; }

    /// <summary>The name the server's certificate must carry when it is not the URL's host (<c>tls-server-name</c>).</summary>
    public string? TlsServerName { get; init; }

    /// <summary>The kubeconfig context these settings came from.</summary>
    public string? Context { get; init; }

    /// <summary>The context's namespace (in a pod: the service account's); <c>null</c> when it names none.</summary>
    public string? Namespace { get; init; }

    /// <summary>The CA certificate the server's certificate is verified against.</summary>
    public X509Certificate2 CertificateAuthority() => X509Certificate2.CreateFromPem(CertificateAuthorityPem);

    /// <summary>Every CA certificate the kubeconfig names for the cluster (a bundle may hold more than one).</summary>
    public X509Certificate2Collection CertificateAuthorities()
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(CertificateAuthorityPem);
        return all;
    }

    /// <summary>The same credentials for another server address (a single node instead of the VIP).</summary>
    public KubeConfig WithServer(Uri server) => this with { Server = server };

    /// <summary>Writes a kubeconfig readable by kubectl, mode 0600 (it holds the token or key).</summary>
    public void Write(string path, string clusterName)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificateAuthorityPem));
        var credentials = ClientCertificatePem is null || ClientKeyPem is null
            ? $"token: {Token}"
            : $"client-certificate-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(ClientCertificatePem))}\n    client-key-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(ClientKeyPem))}";
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {clusterName}
              cluster:
                server: {Server.AbsoluteUri.TrimEnd('/')}
                certificate-authority-data: {ca}
            contexts:
            - name: {clusterName}
              context:
                cluster: {clusterName}
                user: {clusterName}-admin
            current-context: {clusterName}
            users:
            - name: {clusterName}-admin
              user:
                {credentials}

            """;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (File.Create(path, 0, FileOptions.None))
        {
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Reads a kubeconfig file as kubectl does, through KubernetesClient: the current context or
    /// <paramref name="context"/>, certificate and key files by path (relative to the file), tokens and token files, exec
    /// credential plugins and OIDC (both asked again when their token runs out). The server's certificate is always
    /// verified: a context with <c>insecure-skip-tls-verify</c>, or without a certificate authority, is refused.
    /// </summary>
    public static KubeConfig Load(string path, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, "kubeconfig", $"There is no kubeconfig file '{path}'.")]);
        }

        return From(path, context, () => k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context, useRelativePaths: true));
    }

    /// <summary>
    /// The API of the cluster this process runs in as a pod: its service account's token (read again as the kubelet
    /// rotates it), the cluster CA and the namespace the kubelet mounts at
    /// <c>/var/run/secrets/kubernetes.io/serviceaccount</c>, and the <c>kubernetes</c> service's address.
    /// </summary>
    public static KubeConfig InCluster()
    {
        if (!k8s.KubernetesClientConfiguration.IsInCluster())
        {
            throw new ConfigurationInvalidException("in-cluster", [new ConfigurationProblem("in-cluster", 0, 0, "in-cluster",
                "This process does not run in a Kubernetes pod with a service account (no KUBERNETES_SERVICE_HOST, or no token under /var/run/secrets/kubernetes.io/serviceaccount); give a kubeconfig file instead.")]);
        }

        return From("in-cluster service account", null, k8s.KubernetesClientConfiguration.InClusterConfig);
    }

    /// <summary>Reads a kubeconfig's text (as <see cref="Load"/> does, without files by relative path); <paramref name="source"/> names it in errors.</summary>
    public static KubeConfig Parse(string text, string source, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return From(source, context, () =>
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            return k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(stream, context);
        });
    }

    private static KubeConfig From(string source, string? context, Func<k8s.KubernetesClientConfiguration> build)
    {
        k8s.KubernetesClientConfiguration config;
        try
        {
            config = build();
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw Invalid(source, context, e.Message);
        }

        var contextName = context ?? config.CurrentContext ?? "(current)";
        if (config.SkipTlsVerify)
        {
            throw Invalid(source, context, $"Context '{contextName}' sets insecure-skip-tls-verify; ChaosEdge verifies the API server's certificate. Give the cluster its certificate-authority.");
        }

        if (config.SslCaCerts is not { Count: > 0 } authorities)
        {
            throw Invalid(source, context, $"Context '{contextName}' names no certificate-authority or certificate-authority-data for its cluster; ChaosEdge verifies the API server's certificate against it.");
        }

        if (!Uri.TryCreate(config.Host, UriKind.Absolute, out var server))
        {
            throw Invalid(source, context, $"Context '{contextName}' has no server URL (found '{config.Host}').");
        }

        var ca = string.Concat(authorities.Select(c => c.ExportCertificatePem() + "\n"));
        var certificate = Pem(config.ClientCertificateData, config.ClientCertificateFilePath);
        var key = Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath);
        if (key is not null)
        {
            SecretRedactor.Register(key);
            if (config.ClientCertificateKeyData is { Length: > 0 } encoded)
            {
                SecretRedactor.Register(encoded);
            }
        }

        if (!string.IsNullOrEmpty(config.AccessToken))
        {
            SecretRedactor.Register(config.AccessToken);
        }

        var result = new KubeConfig(server, ca, config.AccessToken ?? string.Empty)
        {
            ClientCertificatePem = certificate is not null && key is not null ? certificate : null,
            ClientKeyPem = certificate is not null && key is not null ? key : null,
            TokenProvider = config.TokenProvider,
            TlsServerName = string.IsNullOrEmpty(config.TlsServerName) ? null : config.TlsServerName,
            Context = config.CurrentContext,
            Namespace = string.IsNullOrEmpty(config.Namespace) ? null : config.Namespace,
        };
        if (result.Token.Length == 0 && result.ClientCertificatePem is null && result.TokenProvider is null)
        {
            throw Invalid(source, context, $"Context '{contextName}' gives its user no credentials ChaosEdge can use: a token or token file, a client certificate and key, an exec plugin or OIDC.");
        }

        return result;
    }

    private static string? Pem(string? base64, string? path)
    {
        if (!string.IsNullOrEmpty(base64))
        {
            return Encoding.ASCII.GetString(Convert.FromBase64String(base64));
        }

        return string.IsNullOrEmpty(path) ? null : File.ReadAllText(path);
    }

    private static ConfigurationInvalidException Invalid(string source, string? context, string message) =>
        new(source, [new ConfigurationProblem(source, 0, 0, context is null ? "current-context" : $"contexts[{context}]", message)]);
}
