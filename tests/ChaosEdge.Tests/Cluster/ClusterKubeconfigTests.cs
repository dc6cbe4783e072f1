using ChaosEdge.Kubernetes;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>A customer's kubeconfig (several contexts, files by path, an exec credential plugin, a client certificate) against the lab's API server, judged by kubectl too.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterKubeconfigTests
{
    [Test]
    public async Task Chosen_contexts_with_an_exec_plugin_or_a_client_certificate_file_and_a_CA_file_reach_the_lab_as_kubectl_does()
    {
        var directory = Directory.CreateTempSubdirectory("chaosedge-kubeconfig-").FullName;
        try
        {
            var lab = ClusterLab.KubeConfig;
            var tokenFile = Path.Combine(directory, "token");
            await File.WriteAllTextAsync(tokenFile, lab.Token);
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllTextAsync(Path.Combine(directory, "ca.crt"), lab.CertificateAuthorityPem);
            var plugin = Path.Combine(directory, "sso-login");
            await File.WriteAllTextAsync(plugin, "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$(cat '" + tokenFile + "')\"\n");
            File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            // The admin client certificate K3s writes on every server (signed by its client CA), as a customer's kubeconfig names it: by file.
            foreach (var file in new[] { "client-admin.crt", "client-admin.key" })
            {
                var read = await ClusterLab.Shell("edge-1").RunAsync($"cat /var/lib/rancher/k3s/server/tls/{file}");
                Assert.That(read.ExitCode, Is.Zero, read.Stderr);
                await File.WriteAllTextAsync(Path.Combine(directory, file), read.Stdout);
                File.SetUnixFileMode(Path.Combine(directory, file), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var path = Path.Combine(directory, "config");
            await File.WriteAllTextAsync(path, $$"""
                apiVersion: v1
                kind: Config
                current-context: other-plant
                clusters:
                - name: other-plant
                  cluster: { server: "https://198.18.0.250:6443", certificate-authority: ca.crt }
                - name: lab
                  cluster: { server: "{{lab.Server.AbsoluteUri.TrimEnd('/')}}", certificate-authority: ca.crt }
                users:
                - name: nobody
                  user: { token: not-a-valid-token }
                - name: sso
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: {{plugin}}
                      interactiveMode: Never
                - name: plant-admin
                  user: { client-certificate: client-admin.crt, client-key: client-admin.key }
                contexts:
                - name: other-plant
                  context: { cluster: other-plant, user: nobody }
                - name: lab
                  context: { cluster: lab, user: sso }
                - name: lab-certificate
                  context: { cluster: lab, user: plant-admin }
                """);

            var expected = ClusterLab.Inventory.Nodes.Select(n => n.Name).ToList();
            foreach (var context in new[] { "lab", "lab-certificate" })
            {
                var config = KubeConfig.Load(path, context);
                using var client = new KubeClient(config);
                var nodes = await client.CallAsync("LIST nodes", (c, t) => k8s.CoreV1OperationsExtensions.ListNodeAsync(c.CoreV1, cancellationToken: t));
                var kubectl = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"), ["--kubeconfig", path, "--context", context, "get", "nodes", "-o", "name"], timeout: TimeSpan.FromSeconds(30));

                Assert.Multiple(() =>
                {
                    Assert.That(config.ClientCertificatePem is not null, Is.EqualTo(context == "lab-certificate"), $"{context}: authenticates with the certificate file");
                    Assert.That(config.TokenProvider is not null, Is.EqualTo(context == "lab"), $"{context}: authenticates through the exec plugin");
                    Assert.That(nodes.Items.Select(n => n.Metadata.Name), Is.EquivalentTo(expected), context);
                    Assert.That(kubectl.ExitCode, Is.Zero, $"{context}: {kubectl.Stderr}");
                    Assert.That(kubectl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(expected.Select(n => "node/" + n)), context);
                });
            }

            // A certificate the client CA did not sign gets no answer: the handshake is refused.
            using var strangerKey = System.Security.Cryptography.ECDsa.Create();
            using var strangerCertificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=system:admin", strangerKey, System.Security.Cryptography.HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            var stranger = new KubeConfig(ClusterLab.KubeConfig.Server, ClusterLab.KubeConfig.CertificateAuthorityPem, string.Empty)
            {
                ClientCertificatePem = strangerCertificate.ExportCertificatePem(),
                ClientKeyPem = strangerKey.ExportPkcs8PrivateKeyPem(),
            };
            using var refused = new KubeClient(stranger, TimeSpan.FromSeconds(5));
            await Assert.ThatAsync(() => refused.CallAsync("LIST nodes", (c, t) => k8s.CoreV1OperationsExtensions.ListNodeAsync(c.CoreV1, cancellationToken: t)), Throws.InstanceOf<HttpRequestException>());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
