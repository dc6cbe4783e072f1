using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.Etcd;
using ChaosEdge.Pki;

namespace ChaosEdge.NodeRuntime.Tls;

/// <summary>
/// The cluster's CAs and admin token when the servers share an external etcd (<c>--datastore-endpoint</c>): as K3s
/// does (docs.k3s.io "Cluster Datastore"; <c>pkg/cluster/bootstrap.go</c>), the first server to start stores them in
/// the datastore, encrypted with a key derived from the token's password, under a key named after the password's hash;
/// every other server reads them from there. A server given a secure token (<c>K10&lt;CA hash&gt;::…</c>) accepts only
/// the CA that hash names. A wrong token cannot decrypt them and the server stops, saying so.
/// </summary>
internal static class DatastoreBootstrap
{
    public static EtcdClient Client(RuntimeOptions options)
    {
        using var caPem = X509Certificate2.CreateFromPem(File.ReadAllText(options.DatastoreCaFile!));
        var ca = X509CertificateLoader.LoadCertificate(caPem.RawData);
        using var ephemeral = X509Certificate2.CreateFromPem(File.ReadAllText(options.DatastoreCertFile!), File.ReadAllText(options.DatastoreKeyFile!));
        var client = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        return new EtcdClient(options.DatastoreEndpoints, ca, client);
    }

    public static async Task<ServerCredentials> LoadOrCreateAsync(RuntimeOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = ClusterToken.Parse(options.Token);
        var key = "/bootstrap/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token.Password)))[..12];
        using var etcd = Client(options);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await etcd.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    var credentials = Decrypt(stored.Value, token.Password);
                    if (token.CaHash is { } hash && ClusterToken.Hash(credentials.ServerCaPem) != hash)
                    {
                        throw new InvalidOperationException($"The cluster CA in the datastore ({key}) does not match the hash in the token; refusing to start.");
                    }

                    return credentials;
                }

                var serverCa = CertificateAuthority.Create("k3s-server-ca", time);
                var etcdCa = CertificateAuthority.Create("etcd-server-ca", time);
                var clientCa = CertificateAuthority.Create("k3s-client-ca", time);
                var created = new JsonObject
                {
                    ["serverCa"] = serverCa.CertificatePem, ["serverCaKey"] = serverCa.KeyPem, ["etcdCa"] = etcdCa.CertificatePem, ["etcdCaKey"] = etcdCa.KeyPem,
                    ["clientCa"] = clientCa.CertificatePem, ["clientCaKey"] = clientCa.KeyPem, ["adminToken"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
                };

                // Created only if no other server created it first; the loser reads the winner's.
                if (await etcd.PutIfAsync(key, Encrypt(created, token.Password), 0, cancellationToken).ConfigureAwait(false) is not null)
                {
                    Console.Error.WriteLine($"Stored the cluster's bootstrap data in the datastore ({key}).");
                    return FromJson(created);
                }
            }
            catch (EtcdUnavailableException e) when (attempt < 60 && !cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"The datastore is not reachable yet (attempt {attempt}): {e.Message}; retrying in 2 s.");
                await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static ServerCredentials FromJson(JsonObject bootstrap) => new()
    {
        ServerCaPem = (string)bootstrap["serverCa"]!, ServerCaKeyPem = (string)bootstrap["serverCaKey"]!,
        EtcdCaPem = (string)bootstrap["etcdCa"]!, EtcdCaKeyPem = (string)bootstrap["etcdCaKey"]!,
        ClientCaPem = (string?)bootstrap["clientCa"], ClientCaKeyPem = (string?)bootstrap["clientCaKey"], AdminToken = (string)bootstrap["adminToken"]!,
    };

    /// <summary>AES-256-GCM under PBKDF2-SHA256 of the password (a salt per value): <c>salt || nonce || tag || ciphertext</c>.</summary>
    internal static byte[] Encrypt(JsonObject bootstrap, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plain = Encoding.UTF8.GetBytes(bootstrap.ToJsonString());
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(Derive(password, salt), tag.Length))
        {
            aes.Encrypt(nonce, plain, cipher, tag);
        }

        return [.. salt, .. nonce, .. tag, .. cipher];
    }

    internal static ServerCredentials Decrypt(byte[] stored, string password)
    {
        if (stored.Length < 44)
        {
            throw new InvalidOperationException("The bootstrap data in the datastore is truncated; refusing to start.");
        }

        var plain = new byte[stored.Length - 44];
        try
        {
            using var aes = new AesGcm(Derive(password, stored[..16]), 16);
            aes.Decrypt(stored[16..28], stored[44..], stored[28..44], plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new InvalidOperationException("The bootstrap data in the datastore cannot be decrypted with this token: the server's token is not the cluster's; refusing to start.");
        }

        return FromJson(JsonNode.Parse(plain) as JsonObject ?? throw new InvalidOperationException("The bootstrap data in the datastore is not JSON."));
    }

    private static byte[] Derive(string password, byte[] salt) => Rfc2898DeriveBytes.Pbkdf2(password, salt, 100_000, HashAlgorithmName.SHA256, 32);
}
