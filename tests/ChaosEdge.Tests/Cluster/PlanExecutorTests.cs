using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Provision.K3s;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The plan executor that runs real K3s plans, against the lab's real sshd and API server: checksummed uploads,
/// idempotent writes and runs, waits that name what they waited for, and server-side apply that leaves an unchanged
/// object alone.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class PlanExecutorTests
{
    private const string Directory = "/tmp/chaosedge-executor-test";

    [Test]
    public async Task A_plan_runs_once_and_a_second_run_changes_nothing()
    {
        var artifacts = System.IO.Directory.CreateTempSubdirectory("ce-exec-").FullName;
        try
        {
            var bytes = RandomNumberGenerator.GetBytes(256 * 1024);
            await File.WriteAllBytesAsync(Path.Combine(artifacts, "etcdctl"), bytes);
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await File.WriteAllTextAsync(Path.Combine(artifacts, "SHA256SUMS"), $"{sha}  etcdctl\n");
            var inventory = ClusterLab.Inventory with { ArtifactsPath = artifacts };
            var node = inventory.Nodes[1].Name;
            var plan = new ProvisionPlan("test", [
                new RunStep(node, "Clean", $"rm -rf {Directory}", Check: true),
                new UploadStep(node, "Artifact", "etcdctl", $"{Directory}/bin/tool", sha, "0755"),
                new WriteStep(node, "Config", $"{Directory}/config.yaml", "key: value\n", "0600"),
                new RunStep(node, "Count runs", $"echo run >> {Directory}/runs", Unless: $"test -s {Directory}/runs"),
                new WaitStep(node, "The file is there", $"test -x {Directory}/bin/tool", TimeSpan.FromSeconds(10)),
            ]);
            var rerun = new ProvisionPlan("again", [.. plan.Steps.Skip(1)]);

            await using (var executor = new PlanExecutor(inventory, TimeProvider.System, null, ArtifactSet.OpenDirectory(artifacts)))
            {
                await executor.RunAsync(plan);
                Assert.That(executor.Changes, Has.Count.EqualTo(3), string.Join("\n", executor.Changes));
            }

            await using (var executor = new PlanExecutor(inventory, TimeProvider.System, null, ArtifactSet.OpenDirectory(artifacts)))
            {
                await executor.RunAsync(rerun);
                Assert.That(executor.Changes, Is.Empty, "everything is already in place");
            }

            var state = await ClusterLab.Shell(node).RunAsync($"sha256sum {Directory}/bin/tool; stat -c %a {Directory}/bin/tool {Directory}/config.yaml; wc -l < {Directory}/runs");
            Assert.That(state.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { $"{sha}  {Directory}/bin/tool", "755", "600", "1" }));
        }
        finally
        {
            System.IO.Directory.Delete(artifacts, true);
            await ClusterLab.Shell(ClusterLab.Inventory.Nodes[1].Name).RunAsync($"rm -rf {Directory}");
        }
    }

    [Test]
    public async Task A_failing_step_names_its_node_and_its_evidence_and_a_wait_names_what_it_waited_for()
    {
        var node = ClusterLab.Inventory.Nodes[0].Name;
        await using var executor = new PlanExecutor(ClusterLab.Inventory, TimeProvider.System, null);

        var failed = (await Assert.ThrowsAsync<ProvisionStepException>(() => executor.RunAsync(new ProvisionPlan("t", [new RunStep(node, "Preflight", "echo 'program haproxy is not installed'; exit 1", Check: true)]))))!;
        var timedOut = (await Assert.ThrowsAsync<ProvisionStepException>(() => executor.RunAsync(new ProvisionPlan("t", [new WaitStep(node, "Ready", "false", TimeSpan.FromSeconds(2))]))))!;

        Assert.That(failed.Message, Does.StartWith($"Provisioning step 'Preflight' failed on node '{node}':").And.Contain("program haproxy is not installed"));
        Assert.That(timedOut.Message, Does.StartWith($"Provisioning step 'Ready' failed on node '{node}':").And.Contain("00:00:02"));
    }

    [Test]
    public async Task Server_side_apply_creates_then_updates_and_leaves_an_unchanged_object_alone()
    {
        await using var executor = new PlanExecutor(ClusterLab.Inventory, TimeProvider.System, null);
        using var client = new KubeClient(KubeConfig.Load(ClusterLab.Provisioned.KubeconfigPath));
        JsonObject Map(string value) => ManifestYaml.Parse($"apiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: ssa-test, namespace: default }}\ndata: {{ k: \"{value}\" }}\n", "test")[0];
        try
        {
            await executor.ApplyObjectsAsync(client, [Map("1")]);
            var created = await client.GetAsync(ResourcePath.ConfigMaps.For("default", "ssa-test"));
            await executor.ApplyObjectsAsync(client, [Map("1")]);
            var same = await client.GetAsync(ResourcePath.ConfigMaps.For("default", "ssa-test"));
            await executor.ApplyObjectsAsync(client, [Map("2")]);
            var updated = await client.GetAsync(ResourcePath.ConfigMaps.For("default", "ssa-test"));

            Assert.That(executor.Changes, Has.Count.EqualTo(2), string.Join("\n", executor.Changes));
            Assert.That(same.ResourceVersion(), Is.EqualTo(created.ResourceVersion()), "an unchanged apply writes nothing");
            Assert.That((updated.Text("data.k"), updated.Label(K3sManifests.ManagedLabel)), Is.EqualTo(("2", "chaosedge")));
        }
        finally
        {
            await client.DeleteAsync(ResourcePath.ConfigMaps.For("default", "ssa-test"));
        }
    }
}
