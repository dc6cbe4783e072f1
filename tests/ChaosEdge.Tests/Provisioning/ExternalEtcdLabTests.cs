using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Reports;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// K3s on an external etcd cluster on the lab's K3s (<c>lab up --k3s --etcd-nodes 3</c>): three etcd nodes run Debian's
/// real etcd with mutual TLS, installed and started by the K3s plan with the cluster's own etcd CA; the three servers
/// start with <c>datastore-endpoint</c> and run no etcd member. The Etcd suite's faults take out the external members
/// (the leader, a follower), and the Failover suite passes.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ExternalEtcdLabTests
{
    private static readonly LabShape Shape = new LabShape([.. LabShape.Default(3).NodeNames, "etcd-1", "etcd-2", "etcd-3"], LabShape.DefaultInterface)
    {
        ControlPlaneVip = ChaosEdge.Inventory.VipProvider.KubeVip, K3sRuntime = true, EtcdNodes = 3,
    };

    private ChaosEdge.Provision.VirtualLab.VirtualLab? lab;

    [OneTimeSetUp]
    public async Task BringUpLab() => lab = await ProvisionedLab.UpAsync("ceetd", Shape, "The external-etcd lab of ExternalEtcdLabTests.");

    [OneTimeTearDown]
    public Task TearDownLab() => ProvisionedLab.DownAsync(lab);

    [Test]
    public async Task The_etcd_nodes_hold_the_cluster_and_the_servers_run_no_etcd_member()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab!.InventoryPath);
        await using var etcd = new SshNodeShell(inventory.Node("etcd-1"));
        var flags = ChaosEdge.Measurement.Probes.EtcdProbe.ExternalEtcdctlFlags;
        var members = await etcd.RunAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {flags} member list");
        var keys = await etcd.RunAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {flags} get --prefix / --keys-only | grep -c '^/'");
        var unsafeClient = await etcd.RunAsync("ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --command-timeout=3s get /bootstrap --prefix --keys-only");
        var servers = new List<string>();
        foreach (var server in inventory.Servers)
        {
            await using var shell = new SshNodeShell(server);
            servers.Add((await shell.RunAsync("test -e /var/lib/rancher/k3s/server/db/etcd && echo embedded || echo none; grep -c '^datastore-endpoint: https://198' /etc/rancher/k3s/config.yaml")).Stdout.Trim().Replace('\n', ' '));
        }

        Assert.Multiple(() =>
        {
            Assert.That(members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(", ")[2]), Is.EquivalentTo(new[] { "etcd-1", "etcd-2", "etcd-3" }), members.Stderr);
            Assert.That(int.Parse(keys.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(20), "the cluster's objects and its bootstrap data are in the external etcd");
            Assert.That(unsafeClient.Succeeded, Is.False, "a client without a certificate of the cluster's etcd CA is refused");
            Assert.That(servers, Is.All.EqualTo("none 1"), "every server has datastore-endpoint and no embedded etcd data");
        });
    }

    [Test]
    public async Task Nightly_passes_the_Failover_suite_and_the_Etcd_suite_on_the_external_members()
    {
        var run = await NightlyOnLab.RunAsync(lab!.InventoryPath, "Failover,Etcd", "etcd-leader-loss", "etcd-follower-loss");
        var status = run.Scenarios.ToDictionary(s => s.Name, s => s.Status);

        Assert.Multiple(() =>
        {
            Assert.That(run.Outcome.ExitCode, Is.Zero, run.Tail);
            Assert.That(status, Has.Count.EqualTo(8));
            Assert.That(status.Values, Is.All.EqualTo(ScenarioStatus.Pass), run.Tail);
            Assert.That(run.Records["etcd-leader-loss"], Does.Match("\"target\": \"etcd-[123]\""), "the leader lost is an external member");
            Assert.That(run.Records["etcd-follower-loss"], Does.Match("\"target\": \"etcd-[123]\""), "the follower lost is an external member");
        });
    }
}
