using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Where the API is and how to trust and authenticate to it: a kubeconfig's current context, reduced to a server URL,
/// the CA that must have signed the server's certificate, and a bearer token or a client certificate (K3s's admin
/// kubeconfig carries the latter).
/// </summary>
public sealed record KubeConfig(Uri Server, string CertificateAuthorityPem, string Token)
{
    /// <summary>The client certificate (PEM) to authenticate with instead of a token; <c>null</c> when a token is used.</summary>
    public string? ClientCertificatePem { get; init; }

    /// <summary>The client certificate's private key (PEM, a secret).</summary>
    public string? ClientKeyPem { get; init; }

    /// <summary>The CA certificate the server's certificate is verified against.</summary>
    public X509Certificate2 CertificateAuthority() => X509Certificate2.CreateFromPem(CertificateAuthorityPem);

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

    /// <summary>Reads the current context of a kubeconfig file (certificate-authority-data, and a token or client certificate data).</summary>
    public static KubeConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, "kubeconfig", e.Message)]);
        }

        return Parse(text, path);
    }

    /// <summary>Reads the current context of a kubeconfig's text; <paramref name="source"/> names it in errors.</summary>
    public static KubeConfig Parse(string text, string source)
    {
        var path = source;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, "kubeconfig", e.Message)]);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        string? Scalar(YamlNode? node, string key) =>
            node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;
        YamlMappingNode? Named(string list, string? name) =>
            root.Children.TryGetValue(new YamlScalarNode(list), out var items) && items is YamlSequenceNode sequence
                ? sequence.Children.OfType<YamlMappingNode>().FirstOrDefault(m => Scalar(m, "name") == name)
                : null;

        var contextName = Scalar(root, "current-context");
        var context = Named("contexts", contextName)?.Children[new YamlScalarNode("context")];
        var cluster = Named("clusters", Scalar(context, "cluster"))?.Children[new YamlScalarNode("cluster")];
        var user = Named("users", Scalar(context, "user"))?.Children[new YamlScalarNode("user")];
        var server = Scalar(cluster, "server");
        var ca = Scalar(cluster, "certificate-authority-data");
        var token = Scalar(user, "token");
        var certificate = Scalar(user, "client-certificate-data");
        var key = Scalar(user, "client-key-data");
        if (server is null || ca is null || (token is null && (certificate is null || key is null)))
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, "current-context",
                $"The current context '{contextName}' needs a server, certificate-authority-data, and a token or client-certificate-data with client-key-data.")]);
        }

        static string Decode(string base64) => Encoding.ASCII.GetString(Convert.FromBase64String(base64));
        if (token is not null)
        {
            SecretRedactor.Register(token);
            return new KubeConfig(new Uri(server), Decode(ca), token);
        }

        SecretRedactor.Register(key!);
        SecretRedactor.Register(Decode(key!));
        return new KubeConfig(new Uri(server), Decode(ca), string.Empty) { ClientCertificatePem = Decode(certificate!), ClientKeyPem = Decode(key!) };
    }
}
