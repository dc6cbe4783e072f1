using ChaosEdge.Kubernetes;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>A customer's kubeconfig (several contexts, files by path, an exec credential plugin) against the lab's API server, judged by kubectl too.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterKubeconfigTests
{
    [Test]
    public async Task A_chosen_context_with_an_exec_plugin_and_a_CA_file_reaches_the_lab_as_kubectl_does()
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
                contexts:
                - name: other-plant
                  context: { cluster: other-plant, user: nobody }
                - name: lab
                  context: { cluster: lab, user: sso }
                """);

            using var client = new KubeClient(KubeConfig.Load(path, "lab"));
            var (nodes, _) = await client.ListAsync(ResourcePath.Nodes.For());
            var kubectl = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"), ["--kubeconfig", path, "--context", "lab", "get", "nodes", "-o", "name"], timeout: TimeSpan.FromSeconds(30));

            Assert.That(nodes.Select(n => n.Name()), Is.EquivalentTo(ClusterLab.Inventory.Nodes.Select(n => n.Name)));
            Assert.That(kubectl.ExitCode, Is.Zero, kubectl.Stderr);
            Assert.That(kubectl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(ClusterLab.Inventory.Nodes.Select(n => "node/" + n.Name)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
