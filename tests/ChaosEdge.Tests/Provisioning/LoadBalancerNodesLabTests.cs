using ChaosEdge.Processes;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Reports;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// kubeadm's HA layout on the lab's K3s (<c>lab up --k3s --vip keepalived --lb-nodes 2</c>): two dedicated load-balancer
/// nodes run Debian's real HAProxy (the VIP's port 6443 to every API server, checked by /readyz) and keepalived tracking
/// it; the servers run K3s alone. The Failover suite passes on it (the VIP holder's K3s stop has no target there and is
/// NOT-RUN with that reason), and so does the Etcd suite.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LoadBalancerNodesLabTests
{
    private static readonly LabShape Shape = new LabShape([.. LabShape.Default(3).NodeNames, "lb-1", "lb-2"], LabShape.DefaultInterface)
    {
        ControlPlaneVip = ChaosEdge.Inventory.VipProvider.Keepalived, K3sRuntime = true, LoadBalancers = 2,
    };

    private ChaosEdge.Provision.VirtualLab.VirtualLab? lab;

    [OneTimeSetUp]
    public async Task BringUpLab() => lab = await ProvisionedLab.UpAsync("celbn", Shape, "The load-balancer-node lab of LoadBalancerNodesLabTests.");

    [OneTimeTearDown]
    public Task TearDownLab() => ProvisionedLab.DownAsync(lab);

    [Test]
    public async Task The_load_balancers_run_HAProxy_and_keepalived_and_hold_the_VIP_and_the_servers_run_K3s_alone()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab!.InventoryPath);
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        var holders = new List<string>();
        foreach (var node in inventory.Nodes)
        {
            await using var shell = new SshNodeShell(node);
            var result = await shell.RunAsync("echo \"$(systemctl is-active haproxy keepalived k3s 2>/dev/null | tr '\\n' ' ')\"; ip -o -4 addr show");
            states[node.Name] = result.Stdout.Split('\n')[0].Trim();
            if (result.Stdout.Contains($" {inventory.ControlPlane.Vip}/", StringComparison.Ordinal))
            {
                holders.Add(node.Name);
            }
        }

        var kubectl = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"),
            ["--kubeconfig", Path.Combine(lab!.Directory, "kubeconfig"), "get", "nodes", "--no-headers"], timeout: TimeSpan.FromSeconds(20));

        Assert.Multiple(() =>
        {
            Assert.That(inventory.LoadBalancers.Select(n => n.Name), Is.EqualTo(new[] { "lb-1", "lb-2" }));
            Assert.That(inventory.ControlPlane.Port, Is.EqualTo(6443), "HAProxy on nodes of its own serves the VIP on the API servers' port");
            Assert.That(states["lb-1"], Does.StartWith("active active"), "HAProxy and keepalived on lb-1");
            Assert.That(states["lb-2"], Does.StartWith("active active"), "HAProxy and keepalived on lb-2");
            Assert.That(inventory.Servers.Select(s => states[s.Name]), Is.All.Matches<string>(s => s != null && (s.StartsWith("inactive inactive active", StringComparison.Ordinal) || s.StartsWith("unknown unknown active", StringComparison.Ordinal))), "K3s alone on the servers");
            Assert.That(holders, Is.EqualTo(new[] { "lb-1" }), "the load balancer with the highest priority holds the VIP");
            Assert.That(kubectl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "edge-1", "edge-2", "edge-3" }), "load balancers are not Kubernetes nodes: " + kubectl.Stderr);
        });
    }

    [Test]
    public async Task Nightly_passes_the_Failover_and_Etcd_suites_with_the_VIP_on_the_load_balancers()
    {
        var run = await NightlyOnLab.RunAsync(lab!.InventoryPath, "Failover,Etcd", "vip-holder-power-off", "non-holder-power-off");
        var status = run.Scenarios.ToDictionary(s => s.Name, s => s.Status);

        Assert.Multiple(() =>
        {
            Assert.That(run.Outcome.ExitCode, Is.Zero, run.Tail);
            Assert.That(status, Has.Count.EqualTo(8));
            Assert.That(status.Where(s => s.Key != "vip-holder-kubelet-stop").Select(s => s.Value), Is.All.EqualTo(ScenarioStatus.Pass), run.Tail);
            Assert.That(status["vip-holder-kubelet-stop"], Is.EqualTo(ScenarioStatus.NotRun));
            Assert.That(run.Scenarios.First(s => s.Name == "vip-holder-kubelet-stop").Reason, Does.Contain("held by its load-balancer nodes (lb-1, lb-2)"));
            Assert.That(run.Records["vip-holder-power-off"], Does.Contain("\"lb-1\"").And.Contain("vip-holder-power-off@keepalived-haproxy"), "the load balancer holding the VIP is powered off, judged by the keepalived + HAProxy entry");
            Assert.That(run.Records["non-holder-power-off"], Does.Contain("\"edge-3\""), "a server is the non-holder");
        });
    }
}
