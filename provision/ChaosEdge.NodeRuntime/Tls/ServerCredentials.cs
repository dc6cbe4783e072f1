using ChaosEdge.Pki;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Tls;

/// <summary>
/// A node's certificates and tokens, in K3s's layout under <c>server/tls</c>: the cluster CA, the client CA and the etcd
/// CA (created at cluster-init, fetched by joining servers over TLS verified with the token's CA hash), this node's API
/// serving certificate (SANs: node IP, --tls-san, 127.0.0.1, the kubernetes service names), the admin's client
/// certificate (<c>client-admin.crt</c>, CN <c>system:admin</c>, signed by the client CA, as in K3s's admin kubeconfig)
/// and its etcd certificates.
/// </summary>
internal sealed class ServerCredentials
{
    public required string ServerCaPem { get; init; }
    public string? ServerCaKeyPem { get; init; }
    public string? EtcdCaPem { get; init; }
    public string? EtcdCaKeyPem { get; init; }
    public string? ClientCaPem { get; init; }
    public string? ClientCaKeyPem { get; init; }
    public required string AdminToken { get; init; }
    public string ServingCertificatePem { get; private set; } = string.Empty;
    public string ServingKeyPem { get; private set; } = string.Empty;
    public string EtcdServerCertificatePath { get; private set; } = string.Empty;
    public string EtcdServerKeyPath { get; private set; } = string.Empty;
    public string EtcdCaPath { get; private set; } = string.Empty;
    public X509Certificate2? EtcdClientCertificate { get; private set; }

    public static async Task<ServerCredentials> PrepareServerAsync(RuntimeOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var tls = options.TlsDir;
        Directory.CreateDirectory(Path.Combine(tls, "etcd"));
        ServerCredentials credentials;
        if (File.Exists(Path.Combine(tls, "server-ca.key")))
        {
            credentials = new ServerCredentials
            {
                ServerCaPem = Read(tls, "server-ca.crt"), ServerCaKeyPem = Read(tls, "server-ca.key"),
                EtcdCaPem = Read(tls, "etcd/server-ca.crt"), EtcdCaKeyPem = Read(tls, "etcd/server-ca.key"),
                ClientCaPem = ReadIfThere(tls, "client-ca.crt"), ClientCaKeyPem = ReadIfThere(tls, "client-ca.key"),
                AdminToken = Read(options.ServerDir, "admin.token").Trim(),
            };
        }
        else if (options.ExternalDatastore)
        {
            credentials = await DatastoreBootstrap.LoadOrCreateAsync(options, time, cancellationToken).ConfigureAwait(false);
        }
        else if (options.ClusterInit)
        {
            var serverCa = CertificateAuthority.Create("k3s-server-ca", time);
            var etcdCa = CertificateAuthority.Create("etcd-server-ca", time);
            var clientCa = CertificateAuthority.Create("k3s-client-ca", time);
            credentials = new ServerCredentials
            {
                ServerCaPem = serverCa.CertificatePem, ServerCaKeyPem = serverCa.KeyPem, EtcdCaPem = etcdCa.CertificatePem, EtcdCaKeyPem = etcdCa.KeyPem,
                ClientCaPem = clientCa.CertificatePem, ClientCaKeyPem = clientCa.KeyPem,
                AdminToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            };
        }
        else
        {
            var bootstrap = await FetchWithRetryAsync(options, "/v1-k3s/server-bootstrap", cancellationToken).ConfigureAwait(false);
            credentials = new ServerCredentials
            {
                ServerCaPem = (string)bootstrap["serverCa"]!, ServerCaKeyPem = (string)bootstrap["serverCaKey"]!,
                EtcdCaPem = (string)bootstrap["etcdCa"]!, EtcdCaKeyPem = (string)bootstrap["etcdCaKey"]!, AdminToken = (string)bootstrap["adminToken"]!,
                ClientCaPem = (string?)bootstrap["clientCa"], ClientCaKeyPem = (string?)bootstrap["clientCaKey"],
            };
        }

        Write(tls, "server-ca.crt", credentials.ServerCaPem);
        Write(tls, "server-ca.key", credentials.ServerCaKeyPem!);
        Write(tls, "etcd/server-ca.crt", credentials.EtcdCaPem!);
        Write(tls, "etcd/server-ca.key", credentials.EtcdCaKeyPem!);
        if (credentials.ClientCaPem is not null && credentials.ClientCaKeyPem is not null)
        {
            Write(tls, "client-ca.crt", credentials.ClientCaPem);
            Write(tls, "client-ca.key", credentials.ClientCaKeyPem);
        }

        Write(options.ServerDir, "admin.token", credentials.AdminToken);
        Write(options.ServerDir, "token", ClusterToken.Parse(options.Token).Full(credentials.ServerCaPem));
        Write(options.ServerDir, "node-token", ClusterToken.Parse(options.Token).Full(credentials.ServerCaPem));
        credentials.IssueNodeCertificates(options, time);
        return credentials;
    }

    public static async Task<ServerCredentials> PrepareAgentAsync(RuntimeOptions options, CancellationToken cancellationToken)
    {
        var bootstrap = await FetchWithRetryAsync(options, "/v1-k3s/agent-bootstrap", cancellationToken).ConfigureAwait(false);
        var directory = Path.Combine(options.DataDir, "agent");
        Directory.CreateDirectory(directory);
        Write(directory, "server-ca.crt", (string)bootstrap["serverCa"]!);
        return new ServerCredentials { ServerCaPem = (string)bootstrap["serverCa"]!, AdminToken = (string)bootstrap["adminToken"]! };
    }

    private void IssueNodeCertificates(RuntimeOptions options, TimeProvider time)
    {
        var tls = options.TlsDir;
        var sans = options.TlsSans.Where(s => !IPAddress.TryParse(s, out _)).Concat(["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{options.ClusterDomain}", options.NodeName]);
        var apiService = FirstServiceIp(options.ServiceCidr);
        var addresses = options.TlsSans.Select(s => IPAddress.TryParse(s, out var a) ? a : null).OfType<IPAddress>().Concat([options.NodeIp, IPAddress.Loopback, apiService]);
        var serverCa = CertificateAuthority.Load(ServerCaPem, ServerCaKeyPem!);
        (ServingCertificatePem, ServingKeyPem) = serverCa.Issue("kube-apiserver", sans, addresses, server: true, client: false, time);
        Write(tls, "serving-kube-apiserver.crt", ServingCertificatePem);
        Write(tls, "serving-kube-apiserver.key", ServingKeyPem);

        if (ClientCaPem is not null && ClientCaKeyPem is not null)
        {
            var (adminCert, adminKey) = CertificateAuthority.Load(ClientCaPem, ClientCaKeyPem).Issue("system:admin", [], [], server: false, client: true, time);
            Write(tls, "client-admin.crt", adminCert);
            Write(tls, "client-admin.key", adminKey);
        }

        var etcdCa = CertificateAuthority.Load(EtcdCaPem!, EtcdCaKeyPem!);
        var (memberCert, memberKey) = etcdCa.Issue(options.NodeName, ["localhost", options.NodeName], [options.NodeIp, IPAddress.Loopback], server: true, client: true, time);
        Write(tls, "etcd/server-client.crt", memberCert);
        Write(tls, "etcd/server-client.key", memberKey);
        var (clientCert, clientKey) = etcdCa.Issue("etcd-client", [], [], server: false, client: true, time);
        Write(tls, "etcd/client.crt", clientCert);
        Write(tls, "etcd/client.key", clientKey);
        EtcdServerCertificatePath = Path.Combine(tls, "etcd/server-client.crt");
        EtcdServerKeyPath = Path.Combine(tls, "etcd/server-client.key");
        EtcdCaPath = Path.Combine(tls, "etcd/server-ca.crt");

        // Loaded through PKCS#12 so that SslStream can present it as a client certificate.
        using var ephemeral = X509Certificate2.CreateFromPem(clientCert, clientKey);
        EtcdClientCertificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    public static IPAddress FirstServiceIp(IPNetwork cidr)
    {
        var bytes = cidr.BaseAddress.GetAddressBytes();
        bytes[3]++;
        return new IPAddress(bytes);
    }

    /// <summary>
    /// K3s's secure bootstrap: fetch <c>/cacerts</c> without trust, accept it only if its hash is the one in the token,
    /// then make the authenticated request over TLS verified against that CA.
    /// </summary>
    private static async Task<JsonObject> FetchAsync(RuntimeOptions options, string path, CancellationToken cancellationToken)
    {
        var token = ClusterToken.Parse(options.Token);
        if (token.CaHash is null)
        {
            throw new InvalidOperationException(
                "Joining needs the full (secure) token, K10<CA hash>::server:<password>, from /var/lib/rancher/k3s/server/token on an existing server; a bare password cannot verify the server.");
        }

        string caPem;
        using (var untrusted = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }) { Timeout = TimeSpan.FromSeconds(10) })
        {
            caPem = await untrusted.GetStringAsync(new Uri(options.ServerUrl!, "/cacerts"), cancellationToken).ConfigureAwait(false);
        }

        if (ClusterToken.Hash(caPem) != token.CaHash)
        {
            throw new InvalidOperationException($"The CA served by '{options.ServerUrl}' does not match the hash in the token; refusing to join.");
        }

        using var ca = X509Certificate2.CreateFromPem(caPem);
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, c, _, e) => KubeClient.Verify(ca, c, e) } }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.ServerUrl!, path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("server:" + token.Password)));
        request.Content = JsonContent.Create(new JsonObject { ["name"] = options.NodeName, ["address"] = options.NodeIp.ToString() });
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"'{options.ServerUrl}{path}' answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text) as JsonObject ?? [];
    }

    /// <summary>
    /// Asks a server to add this node as an etcd member. etcd refuses ("unhealthy cluster") until every current member
    /// has been connected for 5 s — right after another member joined — so the request is retried for up to 2 minutes.
    /// </summary>
    internal static Task<JsonObject> JoinEtcdAsync(RuntimeOptions options, CancellationToken cancellationToken) =>
        FetchWithRetryAsync(options, "/v1-k3s/etcd-join", cancellationToken);

    /// <summary>
    /// A request to the server this node joins through, retried every 2 s for about two minutes: a request that timed
    /// out (a busy server, a VIP on the move) is retried like one that failed, as K3s keeps trying to join; the only
    /// reason to give up at once is a server that cannot be trusted.
    /// </summary>
    private static async Task<JsonObject> FetchWithRetryAsync(RuntimeOptions options, string path, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FetchAsync(options, path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < 60 && !cancellationToken.IsCancellationRequested
                && (e is HttpRequestException or TaskCanceledException || (e is InvalidOperationException && !e.Message.Contains("refusing", StringComparison.Ordinal))))
            {
                Console.Error.WriteLine($"'{path}' through '{options.ServerUrl}' failed (attempt {attempt}): {e.Message}; retrying in 2 s.");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Read(string directory, string file) => File.ReadAllText(Path.Combine(directory, file));

    private static string? ReadIfThere(string directory, string file) => File.Exists(Path.Combine(directory, file)) ? Read(directory, file) : null;

    private static void Write(string directory, string file, string content)
    {
        var path = Path.Combine(directory, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
