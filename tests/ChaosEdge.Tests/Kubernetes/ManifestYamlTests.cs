using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Secrets;

namespace ChaosEdge.Tests.Kubernetes;

public sealed class ManifestYamlTests
{
    [Test]
    public void Documents_become_objects_with_YAML_core_schema_types_and_quoted_scalars_stay_strings()
    {
        var objects = ManifestYaml.Parse("""
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: a }
            data: { port: "6443", on: "true" }
            ---
            # an empty document is skipped
            ---
            apiVersion: v1
            kind: List
            items:
              - apiVersion: apps/v1
                kind: Deployment
                metadata: { name: b }
                spec: { replicas: 3, paused: false, ratio: 0.5, nothing: null, version: 1.36.1 }
            """, "test.yaml");

        Assert.That(objects.Select(o => o.Name()), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(objects[0]["data"]!.ToJsonString(), Is.EqualTo("""{"port":"6443","on":"true"}"""));
        Assert.That(objects[1]["spec"]!.ToJsonString(), Is.EqualTo("""{"replicas":3,"paused":false,"ratio":0.5,"nothing":null,"version":"1.36.1"}"""));
    }

    [Test]
    public void A_document_that_is_not_a_Kubernetes_object_is_named_with_its_source_and_line()
    {
        var error = Assert.Throws<ChaosEdgeException>(() => ManifestYaml.Parse("apiVersion: v1\nkind: ConfigMap\n---\njust: text\n", "metallb-native.yaml"))!;

        Assert.That(error.Message, Is.EqualTo("Manifest 'metallb-native.yaml' has a document at line 4 that is not a Kubernetes object (apiVersion and kind)."));
    }

    [Test]
    public void A_kubeconfig_with_a_client_certificate_as_K3s_writes_it_reads_back_and_its_key_is_redacted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=system:admin, O=system:masters", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePem = certificate.ExportCertificatePem();
        var keyPem = key.ExportECPrivateKeyPem();
        string B64(string s) => Convert.ToBase64String(Encoding.ASCII.GetBytes(s));
        var k3sYaml = $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {B64(certificatePem)}
                server: https://127.0.0.1:6443
              name: default
            contexts:
            - context:
                cluster: default
                user: default
              name: default
            current-context: default
            kind: Config
            users:
            - name: default
              user:
                client-certificate-data: {B64(certificatePem)}
                client-key-data: {B64(keyPem)}
            """;

        var config = KubeConfig.Parse(k3sYaml, "n100-1:/etc/rancher/k3s/k3s.yaml").WithServer(new Uri("https://192.168.50.100:6443"));
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        try
        {
            config.Write(path, "n100-lab");
            var back = KubeConfig.Load(path);

            Assert.That((back.Server, back.ClientCertificatePem, back.ClientKeyPem), Is.EqualTo((new Uri("https://192.168.50.100:6443"), certificatePem, keyPem)));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(SecretRedactor.Redact("key " + keyPem), Does.Not.Contain(keyPem));
            using var client = new KubeClient(back);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
