using ChaosEdge.Processes;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Reports;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// The K3s plan's other control-plane shape on the lab's K3s (<c>lab up --k3s --vip keepalived</c>): Debian's real
/// HAProxy on every server with the plan's <c>haproxy.cfg</c> (VIP:16443 to every API server, checked by /readyz), and
/// keepalived with the plan's configuration, tracking HAProxy, holding the VIP; MetalLB for the service VIPs. The
/// Failover and Etcd suites pass on it, judged by the SLA's <c>@keepalived-haproxy</c> entries.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class KeepalivedHaproxyLabTests
{
    private static readonly LabShape Shape = LabShape.Default(3) with { ControlPlaneVip = ChaosEdge.Inventory.VipProvider.Keepalived, K3sRuntime = true };
    private ChaosEdge.Provision.VirtualLab.VirtualLab? lab;

    [OneTimeSetUp]
    public async Task BringUpLab() => lab = await ProvisionedLab.UpAsync("cehap", Shape, "The keepalived + HAProxy lab of KeepalivedHaproxyLabTests.");

    [OneTimeTearDown]
    public Task TearDownLab() => ProvisionedLab.DownAsync(lab);

    [Test]
    public async Task HAProxy_and_keepalived_run_the_plans_configuration_and_the_API_answers_through_the_VIP_on_16443()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab!.InventoryPath);
        var states = new List<string>();
        var holders = new List<string>();
        foreach (var node in inventory.Servers)
        {
            await using var shell = new SshNodeShell(node);
            var result = await shell.RunAsync("echo \"$(systemctl is-active haproxy keepalived | tr '\\n' ' ')$(grep -c 'bind \\*:16443' /etc/haproxy/haproxy.cfg) $(grep -c 'killall -0 haproxy' /etc/keepalived/keepalived.conf)\"; ip -o -4 addr show");
            states.Add(result.Stdout.Split('\n')[0]);
            if (result.Stdout.Contains($" {inventory.ControlPlane.Vip}/", StringComparison.Ordinal))
            {
                holders.Add(node.Name);
            }
        }

        var kubectl = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"),
            ["--kubeconfig", Path.Combine(lab!.Directory, "kubeconfig"), "get", "nodes", "--no-headers"], timeout: TimeSpan.FromSeconds(20));
        var kubeconfig = await File.ReadAllTextAsync(Path.Combine(lab!.Directory, "kubeconfig"));

        Assert.Multiple(() =>
        {
            Assert.That(inventory.ControlPlane.Port, Is.EqualTo(16443));
            Assert.That(states, Is.All.EqualTo("active active 1 1"), "HAProxy and keepalived with the plan's files on every server");
            Assert.That(holders, Has.Count.EqualTo(1), "one server holds the VIP");
            Assert.That(kubeconfig, Does.Contain($"https://{inventory.ControlPlane.Vip}:16443"));
            Assert.That(kubectl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(" Ready ", StringComparison.Ordinal)), Is.EqualTo(3), kubectl.Stderr);
        });
    }

    [Test]
    public async Task Nightly_passes_the_Failover_and_Etcd_suites_judged_by_the_keepalived_haproxy_entries()
    {
        var run = await NightlyOnLab.RunAsync(lab!.InventoryPath, "Failover,Etcd", "vip-holder-kubelet-stop");

        Assert.Multiple(() =>
        {
            Assert.That(run.Outcome.ExitCode, Is.Zero, run.Tail);
            Assert.That(run.Scenarios, Has.Count.EqualTo(8));
            Assert.That(run.Scenarios.Select(s => s.Status), Is.All.EqualTo(ScenarioStatus.Pass));
            Assert.That(run.Records["vip-holder-kubelet-stop"], Does.Contain("vip-holder-kubelet-stop@keepalived-haproxy"), "judged by the SLA's keepalived + HAProxy entry");
        });
    }
}
