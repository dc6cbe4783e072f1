using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// ChaosEdge's own deployment (deploy/kubernetes, rendered by kubectl) applied to the lab cluster's API server as to a
/// management cluster: kubectl's server-side apply is accepted, every object reads back, and applying the same again
/// changes nothing. The lab stores the CronJobs but runs no Job: nothing is started.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class DeployManifestsOnLabTests
{
    private const string FieldManager = "chaosedge-test";

    [Test]
    public async Task The_example_fleet_applies_server_side_reads_back_and_applies_again_without_a_change()
    {
        var kubectl = Prerequisite.Program("kubectl", "kubernetes-client");
        var (yaml, objects) = await DeployManifests.RenderAsync();
        var ns = objects.Single(o => (string?)o["kind"] == "Namespace").Name();
        using var client = ClusterLab.Client();
        Assert.That(await client.TryGetAsync(ResourcePath.Namespaces.For(null, ns)), Is.Null, $"namespace '{ns}' exists before the test: not deleting what it did not make");
        try
        {
            var first = await ApplyAsync(kubectl, yaml);
            Assert.That(first.ExitCode, Is.Zero, first.Stderr);
            var applied = await ReadBackAsync(client, objects);

            var second = await ApplyAsync(kubectl, yaml);
            Assert.That(second.ExitCode, Is.Zero, second.Stderr);
            var again = await ReadBackAsync(client, objects);

            var listed = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", ClusterLab.Provisioned.KubeconfigPath, "-n", ns, "get", "cj", "--no-headers"], timeout: TimeSpan.FromSeconds(30));
            Assert.Multiple(() =>
            {
                Assert.That(again, Is.EqualTo(applied), "a second identical apply changes no object (same resourceVersions)");
                Assert.That(listed.ExitCode, Is.Zero, listed.Stderr);
                Assert.That(listed.Stdout, Does.Contain("chaosedge-nightly-n100-lab").And.Contain("chaosedge-trends"));
            });
        }
        finally
        {
            // Deleting the namespace deletes everything in it; the Namespace is the fleet's only cluster-wide object.
            if (await client.TryGetAsync(ResourcePath.Namespaces.For(null, ns)) is not null)
            {
                await client.DeleteAsync(ResourcePath.Namespaces.For(null, ns));
            }
        }
    }

    // --validate=false: the lab's API server serves no OpenAPI document, which kubectl's client-side validation downloads
    // first (and fails without); the lab does not validate fields on the server either.
    private static Task<ProcessResult> ApplyAsync(string kubectl, string yaml) =>
        ProcessRunner.RunAsync(kubectl,
            ["--kubeconfig", ClusterLab.Provisioned.KubeconfigPath, "apply", "--server-side", "--field-manager", FieldManager, "--validate=false", "-f", "-"],
            yaml, TimeSpan.FromMinutes(1));

    /// <summary>Every object read back through the API (as kubectl resolves it, by discovery): each one's resourceVersion, by kind and name.</summary>
    private static async Task<Dictionary<string, string>> ReadBackAsync(KubeClient client, IReadOnlyList<JsonObject> objects)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var expected in objects)
        {
            var apiVersion = (string)expected["apiVersion"]!;
            var kind = (string)expected["kind"]!;
            var (plural, namespaced) = await client.ResolveAsync(apiVersion, kind);
            var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            var resource = new ResourcePath(slash < 0 ? string.Empty : apiVersion[..slash], apiVersion[(slash + 1)..], plural);
            var stored = await client.GetAsync(resource.For(namespaced ? expected.Namespace() : null, expected.Name()));
            Assert.That(((string?)stored["kind"], stored.Name(), stored.Namespace()), Is.EqualTo((kind, expected.Name(), expected.Namespace())));
            Assert.That(JsonNode.DeepEquals(stored["spec"] ?? stored["data"] ?? stored["rules"], expected["spec"] ?? expected["data"] ?? expected["rules"]), Is.True,
                $"{kind} '{expected.Name()}' reads back as applied");
            versions[$"{kind}/{expected.Name()}"] = stored.ResourceVersion();
        }

        return versions;
    }
}
