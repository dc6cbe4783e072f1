using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Tests.Kubernetes;

/// <summary>Customers' kubeconfigs, read through KubernetesClient as kubectl reads them.</summary>
public sealed class KubeConfigTests
{
    private string directory = null!;
    private string caPem = null!;
    private string certificatePem = null!;
    private string keyPem = null!;

    [SetUp]
    public void CreateFiles()
    {
        directory = Directory.CreateTempSubdirectory("chaosedge-kubeconfig-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = new CertificateRequest("CN=plant-ca", caKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=operator", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        caPem = ca.ExportCertificatePem();
        certificatePem = certificate.ExportCertificatePem();
        keyPem = key.ExportECPrivateKeyPem();
        Directory.CreateDirectory(Path.Combine(directory, "pki"));
        File.WriteAllText(Path.Combine(directory, "pki", "ca.crt"), caPem);
        File.WriteAllText(Path.Combine(directory, "pki", "operator.crt"), certificatePem);
        File.WriteAllText(Path.Combine(directory, "pki", "operator.key"), keyPem);
    }

    [TearDown]
    public void RemoveFiles() => Directory.Delete(directory, recursive: true);

    [Test]
    public void A_context_other_than_the_current_one_is_chosen_and_its_files_are_read_by_path_relative_to_the_kubeconfig()
    {
        var path = Write("""
            apiVersion: v1
            kind: Config
            current-context: plant-a
            clusters:
            - name: plant-a
              cluster: { server: "https://10.1.0.10:6443", certificate-authority: pki/ca.crt }
            - name: plant-b
              cluster: { server: "https://10.2.0.10:6443", certificate-authority: pki/ca.crt, tls-server-name: api.plant-b.example }
            users:
            - name: reader
              user: { token: plant-a-reader-token }
            - name: operator
              user: { client-certificate: pki/operator.crt, client-key: pki/operator.key }
            contexts:
            - name: plant-a
              context: { cluster: plant-a, user: reader }
            - name: plant-b
              context: { cluster: plant-b, user: operator }
            """);

        var current = KubeConfig.Load(path);
        var chosen = KubeConfig.Load(path, "plant-b");

        Assert.That((current.Context, current.Server, current.Token, current.ClientCertificatePem), Is.EqualTo(("plant-a", new Uri("https://10.1.0.10:6443"), "plant-a-reader-token", (string?)null)));
        Assert.That((chosen.Context, chosen.Server, chosen.TlsServerName), Is.EqualTo(("plant-b", new Uri("https://10.2.0.10:6443"), "api.plant-b.example")));
        Assert.That((chosen.ClientCertificatePem, chosen.ClientKeyPem), Is.EqualTo((certificatePem, keyPem)));
        Assert.That(chosen.CertificateAuthorities().Single().Subject, Is.EqualTo("CN=plant-ca"));
        Assert.That(ChaosEdge.Secrets.SecretRedactor.Redact("token plant-a-reader-token"), Does.Not.Contain("plant-a-reader-token"));
    }

    [Test]
    public async Task An_exec_credential_plugin_gives_the_token_and_is_asked_again_when_it_has_expired()
    {
        var plugin = Path.Combine(directory, "get-token");
        var counter = Path.Combine(directory, "calls");
        File.WriteAllText(plugin, $"#!/bin/sh\necho x >> '{counter}'\n" + """printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-%s","expirationTimestamp":"2000-01-01T00:00:00Z"}}' "$(wc -l < """ + $"'{counter}')\"\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Write($$"""
            apiVersion: v1
            kind: Config
            current-context: plant
            clusters:
            - name: plant
              cluster: { server: "https://10.1.0.10:6443", certificate-authority: pki/ca.crt }
            users:
            - name: sso
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {{plugin}}
                  interactiveMode: Never
            contexts:
            - name: plant
              context: { cluster: plant, user: sso }
            """);

        var config = KubeConfig.Load(path);
        var first = await config.TokenProvider!.GetAuthenticationHeaderAsync(CancellationToken.None);
        var second = await config.TokenProvider!.GetAuthenticationHeaderAsync(CancellationToken.None);

        Assert.That(first.Scheme, Is.EqualTo("Bearer"));
        Assert.That(first.Parameter, Does.StartWith("exec-token-"), "the token the plugin printed");
        Assert.That(second.Parameter, Is.Not.EqualTo(first.Parameter), "an expired token is asked for again");
        using var client = new KubeClient(config);
    }

    [TestCase("insecure-skip-tls-verify: true", "sets insecure-skip-tls-verify")]
    [TestCase("", "names no certificate-authority")]
    public void A_context_whose_server_certificate_would_not_be_verified_is_refused_naming_the_file(string clusterExtra, string expected)
    {
        var path = Write($$"""
            apiVersion: v1
            kind: Config
            current-context: plant
            clusters:
            - name: plant
              cluster: { server: "https://10.1.0.10:6443"{{(clusterExtra.Length > 0 ? ", " + clusterExtra : string.Empty)}} }
            users:
            - name: u
              user: { token: t0ken-value }
            contexts:
            - name: plant
              context: { cluster: plant, user: u }
            """);

        var error = Assert.Throws<ConfigurationInvalidException>(() => KubeConfig.Load(path))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain(expected));
    }

    [Test]
    public void An_unknown_context_is_named_with_the_file()
    {
        var path = Write("""
            apiVersion: v1
            kind: Config
            current-context: plant
            clusters:
            - name: plant
              cluster: { server: "https://10.1.0.10:6443", certificate-authority: pki/ca.crt }
            users:
            - name: u
              user: { token: t0ken-value }
            contexts:
            - name: plant
              context: { cluster: plant, user: u }
            """);

        var error = Assert.Throws<ConfigurationInvalidException>(() => KubeConfig.Load(path, "plant-z"))!;

        Assert.That(error.Message, Does.Contain(path).And.Contain("plant-z"));
    }

    [Test]
    public async Task Nightly_on_a_lab_used_as_it_is_checks_the_kubeconfig_context_before_anything_runs_and_refuses_one_with_provisioning()
    {
        var kubeconfig = Write(name: "kubeconfig", text: """
            apiVersion: v1
            kind: Config
            current-context: plant-a
            clusters:
            - name: plant-a
              cluster: { server: "https://10.1.0.10:6443", certificate-authority: pki/ca.crt }
            users:
            - name: reader
              user: { token: plant-a-reader-token }
            contexts:
            - name: plant-a
              context: { cluster: plant-a, user: reader }
            """);
        var inventory = Path.Combine(directory, "lab.yaml");
        File.WriteAllText(inventory, "# not read: the kubeconfig is checked first\n");
        var output = Path.Combine(directory, "out");
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");

        var missing = await ChaosEdge.Processes.ProcessRunner.RunAsync("dotnet", [cli, "nightly", "-i", inventory, "--no-provision", "--context", "plant-c", "--out", output], timeout: TimeSpan.FromMinutes(1));
        var provisioning = await ChaosEdge.Processes.ProcessRunner.RunAsync("dotnet", [cli, "nightly", "-i", inventory, "--context", "plant-a", "--out", output], timeout: TimeSpan.FromMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(missing.ExitCode, Is.EqualTo(2), missing.Stdout + missing.Stderr);
            Assert.That(missing.Stdout + missing.Stderr, Does.Contain("plant-c").And.Contain(kubeconfig));
            Assert.That(provisioning.ExitCode, Is.EqualTo(2), provisioning.Stdout + provisioning.Stderr);
            Assert.That(provisioning.Stdout + provisioning.Stderr, Does.Contain("--no-provision"));
            Assert.That(Directory.Exists(output), Is.False, "nothing was run or written");
        });
    }

    private string Write(string text, string name = "config")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text, Encoding.UTF8);
        return path;
    }
}
