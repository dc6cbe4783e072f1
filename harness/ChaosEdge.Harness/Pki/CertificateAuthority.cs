using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChaosEdge.Pki;

/// <summary>A certificate authority (ECDSA P-256): the lab runtime's cluster CAs (created at cluster-init, as K3s does), the external etcd cluster's CA; issues leaf certificates.</summary>
public sealed class CertificateAuthority
{
    private CertificateAuthority(string certificatePem, string keyPem)
    {
        CertificatePem = certificatePem;
        KeyPem = keyPem;
    }

    public string CertificatePem { get; }

    public string KeyPem { get; }

    public X509Certificate2 Certificate => X509Certificate2.CreateFromPem(CertificatePem);

    public static CertificateAuthority Create(string commonName, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        return new CertificateAuthority(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static CertificateAuthority Load(string certificatePem, string keyPem) => new(certificatePem, keyPem);

    /// <summary>Issues a certificate for <paramref name="commonName"/>, valid for the given names and addresses.</summary>
    public (string CertificatePem, string KeyPem) Issue(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, bool server, bool client, TimeProvider time)
    {
        using var caKey = ECDsa.Create();
        caKey.ImportFromPem(KeyPem);
        using var caCertificate = X509Certificate2.CreateFromPem(CertificatePem).CopyWithPrivateKey(caKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = new OidCollection();
        if (server)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        if (client)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Distinct(StringComparer.Ordinal))
        {
            names.AddDnsName(name);
        }

        foreach (var address in addresses.Distinct())
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        var now = time.GetUtcNow();
        using var certificate = request.Create(caCertificate, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
