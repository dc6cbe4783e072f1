using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Processes;

namespace ChaosEdge.Tests.Support;

/// <summary>The example fleet in deploy/kubernetes, as the real kubectl's kustomize renders it.</summary>
public static class DeployManifests
{
    /// <summary>
    /// Runs <c>kubectl kustomize deploy/kubernetes</c> and returns what it prints, as text and as objects. Without kubectl
    /// the test fails on CI and is ignored elsewhere.
    /// </summary>
    public static async Task<(string Yaml, IReadOnlyList<JsonObject> Objects)> RenderAsync()
    {
        var kubectl = Prerequisite.Program("kubectl", "kubernetes-client");
        var result = await ProcessRunner.RunAsync(kubectl, ["kustomize", Repository.Path("deploy", "kubernetes")], timeout: TimeSpan.FromMinutes(1));
        Assert.That(result.ExitCode, Is.Zero, $"kubectl kustomize deploy/kubernetes failed:\n{result.Stderr}");
        return (result.Stdout, ManifestYaml.Parse(result.Stdout, "kubectl kustomize deploy/kubernetes"));
    }
}
