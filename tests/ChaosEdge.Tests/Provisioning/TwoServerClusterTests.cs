using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>A 2-node lab (the split-brain topology) provisions too, and a provisioning failure names its node and evidence.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class TwoServerClusterTests
{
    private ChaosEdge.Provision.VirtualLab.VirtualLab lab = null!;
    private LabInventory inventory = null!;

    [OneTimeSetUp]
    public async Task BringUpLab()
    {
        RequiresRootAttribute.Ensure();
        lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cetwo");
        await lab.DownAsync();
        await lab.UpAsync(2);
        inventory = InventoryLoader.Load(lab.InventoryPath);
    }

    [OneTimeTearDown]
    public async Task TearDownLab()
    {
        if (Environment.IsPrivilegedProcess)
        {
            await lab.DownAsync();
        }
    }

    [Test]
    [Order(1)]
    public async Task A_node_whose_host_key_does_not_match_stops_provisioning_in_preflight_before_anything_is_changed()
    {
        var wrong = inventory.Nodes[1] with { Ssh = inventory.Nodes[1].Ssh with { HostKeyFingerprint = "SHA256:" + new string('A', 43) } };
        var bad = inventory with { Nodes = [inventory.Nodes[0], wrong] };
        await using var provisioner = new ClusterProvisioner(bad);

        var error = Assert.ThrowsAsync<ProvisionStepException>(() => provisioner.ProvisionAsync())!;

        Assert.That((error.Step, error.Node), Is.EqualTo(("preflight", "edge-2")));
        Assert.That(error.Message, Does.StartWith("Provisioning step 'preflight' failed on node 'edge-2': Host key of node 'edge-2'").And.Contain("does not match"));
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(inventory.SourcePath)!, "cluster-token")), Is.False, "no cluster token is made before preflight passes");
        await using var shell = new OpenSshNodeShell(inventory.Nodes[0]);
        var k3s = await shell.RunAsync("test -e /usr/local/bin/k3s");
        Assert.That(k3s.ExitCode, Is.Not.Zero, "nothing is installed on the healthy node either");
    }

    [Test]
    [Order(2)]
    public async Task Two_servers_provision_into_a_healthy_cluster_with_two_etcd_members()
    {
        await using var provisioner = new ClusterProvisioner(inventory);

        var result = await provisioner.ProvisionAsync(new Progress<string>(line => TestContext.Progress.WriteLine("provision: " + line)));

        TestContext.Out.WriteLine($"2-node lab provisioned in {result.Elapsed.TotalSeconds:0.0} s with {result.Changes.Count} changes.");
        using var client = new KubeClient(KubeConfig.Load(result.KubeconfigPath));
        var (nodes, _) = await client.ListAsync(ResourcePath.Nodes.For());
        Assert.That(nodes.Select(n => (n.Name(), n.Condition("Ready"))), Is.EquivalentTo(new[] { ("edge-1", "True"), ("edge-2", "True") }));
        await using var shell = new OpenSshNodeShell(inventory.Nodes[0]);
        var members = await shell.RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {ChaosEdge.Health.HealthGate.EtcdctlFlags} member list -w json");
        Assert.That(JsonNode.Parse(members.Stdout)!["members"]!.AsArray().Select(m => (string?)m!["name"]), Is.EquivalentTo(new[] { "edge-1", "edge-2" }));
    }
}
