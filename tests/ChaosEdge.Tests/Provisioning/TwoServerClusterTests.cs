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
    public async Task A_node_whose_host_key_does_not_match_stops_provisioning_in_preflight_before_anything_is_changed()
    {
        var wrong = inventory.Nodes[1] with { Ssh = inventory.Nodes[1].Ssh with { HostKeyFingerprint = "SHA256:" + new string('A', 43) } };
        var bad = inventory with { Nodes = [inventory.Nodes[0], wrong] };
        await using var provisioner = new ClusterProvisioner(bad);

        var error = (await Assert.ThrowsAsync<ProvisionStepException>(() => provisioner.ProvisionAsync()))!;

        Assert.That((error.Step, error.Node), Is.EqualTo(("preflight", "edge-2")));
        Assert.That(error.Message, Does.StartWith("Provisioning step 'preflight' failed on node 'edge-2': Host key of node 'edge-2'").And.Contain("does not match"));
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(inventory.SourcePath)!, "cluster-token")), Is.False, "no cluster token is made before preflight passes");
        await using var shell = new SshNodeShell(inventory.Nodes[0]);
        var k3s = await shell.RunAsync("test -e /usr/local/bin/k3s");
        Assert.That(k3s.ExitCode, Is.Not.Zero, "nothing is installed on the healthy node either");
    }

    [Test]
    [DependsOnTest(nameof(A_node_whose_host_key_does_not_match_stops_provisioning_in_preflight_before_anything_is_changed), AllowFailure = true)]
    public async Task Two_servers_provision_into_a_healthy_cluster_with_two_etcd_members()
    {
        await using var provisioner = new ClusterProvisioner(inventory);

        var result = await provisioner.ProvisionAsync(new Progress<string>(line => TestContext.Progress.WriteLine("provision: " + line)));

        TestContext.Out.WriteLine($"2-node lab provisioned in {result.Elapsed.TotalSeconds:0.0} s with {result.Changes.Count} changes.");
        using var client = new KubeClient(KubeConfig.Load(result.KubeconfigPath));
        var (nodes, _) = await client.ListAsync(ResourcePath.Nodes.For());
        Assert.That(nodes.Select(n => (n.Name(), n.Condition("Ready"))), Is.EquivalentTo(new[] { ("edge-1", "True"), ("edge-2", "True") }));
        await using var shell = new SshNodeShell(inventory.Nodes[0]);
        var members = await shell.RunCheckedAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {ChaosEdge.Health.HealthGate.EtcdctlFlags} member list -w json");
        Assert.That(JsonNode.Parse(members.Stdout)!["members"]!.AsArray().Select(m => (string?)m!["name"]), Is.EquivalentTo(new[] { "edge-1", "edge-2" }));
    }

    [Test]
    [DependsOnTest(nameof(Two_servers_provision_into_a_healthy_cluster_with_two_etcd_members))]
    public async Task Reset_removes_what_provisioning_installed_and_the_next_provisioning_starts_clean()
    {
        var removed = await ChaosEdge.Provision.Cluster.Provisioning.ResetAsync(inventory, null, new Progress<string>(line => TestContext.Progress.WriteLine("reset: " + line)));

        Assert.That(removed, Has.Count.EqualTo(2), "one cleanup per node");
        foreach (var node in inventory.Nodes)
        {
            await using var shell = new SshNodeShell(node);
            var left = await shell.RunAsync("ls -d /usr/local/bin/k3s /var/lib/rancher/k3s /etc/systemd/system/k3s.service /etc/keepalived 2>/dev/null; systemctl is-active k3s keepalived 2>/dev/null | grep -x active");
            Assert.That(left.Stdout.Trim(), Is.Empty, $"no file or running unit of the cluster is left on '{node.Name}'");
            var processes = await shell.RunAsync("ps -eo pid,args | grep -E '[c]e-k3s|[k]eepalived|[d]nsmasq'");
            await TestContext.Out.WriteLineAsync($"Processes on '{node.Name}' after the reset: {(processes.Stdout.Trim().Length == 0 ? "none" : processes.Stdout.Trim())}");
        }

        Assert.That(await ChaosEdge.Provision.Cluster.Provisioning.ResetAsync(inventory, null, null), Is.Empty, "a second reset finds nothing to do");
        var again = await ChaosEdge.Provision.Cluster.Provisioning.ProvisionAsync(inventory, null, null);
        Assert.That(again.Changes, Is.Not.Empty);
        using var client = new KubeClient(KubeConfig.Load(again.KubeconfigPath));
        var (nodes, _) = await client.ListAsync(ResourcePath.Nodes.For());
        Assert.That(nodes.Select(n => n.Condition("Ready")), Is.All.EqualTo("True"), "a fresh cluster after the reset");
    }
}
