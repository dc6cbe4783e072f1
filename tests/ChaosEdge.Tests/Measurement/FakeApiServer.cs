using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Tests.Measurement;

/// <summary>
/// A Kubernetes API server on 127.0.0.1 that answers GETs of the given paths with the given JSON and anything else with
/// 404, over TLS with a self-signed certificate for 127.0.0.1 (the client's kubeconfig trusts it alone).
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private readonly X509Certificate2 certificate;
    private readonly LoopbackServer server;

    public FakeApiServer(IReadOnlyDictionary<string, string> objects)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-apiserver", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        server = new LoopbackServer(async (socket, t) =>
        {
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, t);
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await tls.ReadAsync(buffer, t);
                if (n == 0)
                {
                    return;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            var path = head.ToString().Split(' ')[1].Split('?')[0];
            var (status, body) = objects.TryGetValue(path, out var json)
                ? ("200 OK", json)
                : ("404 Not Found", $$"""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"not found: {{path}}","reason":"NotFound","code":404}""");
            var bytes = Encoding.UTF8.GetBytes(body);
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), t);
            await tls.WriteAsync(bytes, t);
            await tls.FlushAsync(t);
        });
    }

    /// <summary>A client of this server, trusting its certificate alone.</summary>
    public KubeClient Client() =>
        new(new KubeConfig(new Uri($"https://{server.Endpoint}/"), certificate.ExportCertificatePem(), "token"), TimeSpan.FromSeconds(20));

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        certificate.Dispose();
    }
}
