using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Where the API is and how to trust and authenticate to it: a kubeconfig's current context, reduced to a server URL,
/// the CA that must have signed the server's certificate, and a bearer token.
/// </summary>
public sealed record KubeConfig(Uri Server, string CertificateAuthorityPem, string Token)
{
    /// <summary>The CA certificate the server's certificate is verified against.</summary>
    public X509Certificate2 CertificateAuthority() => X509Certificate2.CreateFromPem(CertificateAuthorityPem);

    /// <summary>The same credentials for another server address (a single node instead of the VIP).</summary>
    public KubeConfig WithServer(Uri server) => this with { Server = server };

    /// <summary>Writes a kubeconfig readable by kubectl, mode 0600 (it holds the token).</summary>
    public void Write(string path, string clusterName)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificateAuthorityPem));
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
                token: {Token}

            """;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (File.Create(path, 0, FileOptions.None))
        {
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    /// <summary>Reads the current context of a kubeconfig file (certificate-authority-data and token only).</summary>
    public static KubeConfig Load(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
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
        if (server is null || ca is null || token is null)
        {
            throw new ConfigurationInvalidException(path, [new ConfigurationProblem(path, 0, 0, "current-context",
                $"The current context '{contextName}' needs a server, certificate-authority-data and a token.")]);
        }

        SecretRedactor.Register(token);
        return new KubeConfig(new Uri(server), Encoding.ASCII.GetString(Convert.FromBase64String(ca)), token);
    }
}
