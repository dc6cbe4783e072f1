using ChaosEdge.Errors;
using ChaosEdge.Processes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Reports;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// A lab in the example inventory's shape (<c>provision/examples/n100-lab</c>), built through the real K3s path: named
/// as the site names its machines (<c>n100-1…3</c> on <c>enp1s0</c>), a <c>runtime: k3s</c> inventory provisioned by
/// the K3s plan itself from the lab's artifacts (checksummed <c>k3s</c> and <c>install.sh</c>, <c>config.yaml</c>, the
/// token file, the auto-deploy manifests), its control-plane VIP held by kube-vip with kube-vip's own timings (5 s /
/// 3 s / 1 s) and its service VIPs announced by MetalLB in L2 mode. It provisions, and a second run changes nothing;
/// kube-vip's lease moves with its holder; MetalLB answers for the service's address from one node without putting it
/// on an interface; the Failover and Dns suites pass on it against the SLA's kube-vip entries; damaged artifacts and a
/// manifest the lab cannot run are refused naming the file. Nothing in the harness may depend on the lab's own
/// <c>edge-N</c> on <c>eth0</c> or on keepalived.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class SiteNamedLabTests
{
    private static readonly LabShape Site = new(["n100-1", "n100-2", "n100-3"], "enp1s0") { ControlPlaneVip = ChaosEdge.Inventory.VipProvider.KubeVip, K3sRuntime = true };
    private ChaosEdge.Provision.VirtualLab.VirtualLab lab = null!;

    [OneTimeSetUp]
    public async Task BringUpLab()
    {
        RequiresRootAttribute.Ensure();
        lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cesite");
        await lab.DownAsync();
        await lab.UpAsync(Site);

        // The example inventory's DNS shape (3 replicas, spread, with a budget) with the lab's timings, the ones the lab's
        // SLA is written for (as the built-in lab's session sets them): the inventory a site would write for this lab.
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        inventory = inventory with { Cluster = ChaosEdge.Runs.LabSession.LabTimings(inventory.Cluster, servers: 3) };
        await File.WriteAllTextAsync(lab.InventoryPath, ChaosEdge.Inventory.InventoryWriter.Write(inventory, lab.Directory, ["The site-named kube-vip lab of SiteNamedLabTests."]));
        await ChaosEdge.Provision.Cluster.Provisioning.ProvisionAsync(ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath), null, null);
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
    public async Task The_lab_has_the_sites_names_and_refuses_to_be_reshaped_in_place()
    {
        var again = await lab.UpAsync(Site);
        var other = (await Assert.ThrowsAsync<ChaosEdgeException>(() => lab.UpAsync(3)))!;
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        await using var shell = new SshNodeShell(inventory.Nodes[1]);
        var identity = await shell.RunAsync("hostname; ip -o -4 addr show dev enp1s0");

        Assert.Multiple(() =>
        {
            Assert.That(again.Changed, Is.False);
            Assert.That(other.Message, Does.Contain("n100-1, n100-2, n100-3").And.Contain("enp1s0").And.Contain("edge-1"));
            Assert.That(inventory.Nodes.Select(n => (n.Name, n.Interface)), Is.EqualTo(Site.NodeNames.Select(n => (n, "enp1s0"))));
            Assert.That(identity.Stdout, Does.StartWith("n100-2\n").And.Contain(inventory.Nodes[1].Address.ToString()), identity.Stderr);
        });
    }

    [Test]
    public async Task The_K3s_plan_installed_the_labs_K3s_and_a_second_run_changes_nothing()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        var again = await ChaosEdge.Provision.Cluster.Provisioning.ProvisionAsync(inventory, null, null);
        var node = await ReadOnNodeAsync(inventory.Nodes[1], "k3s --version | head -1; grep -c '^ExecStart=/usr/local/bin/k3s' /etc/systemd/system/k3s.service; cat /etc/rancher/k3s/config.yaml; readlink /usr/local/bin/kubectl; stat -c %a /etc/rancher/k3s/chaosedge-token");

        Assert.Multiple(() =>
        {
            Assert.That(inventory.Cluster.Runtime, Is.EqualTo(ChaosEdge.Inventory.ClusterRuntime.K3s));
            Assert.That(again.Changes, Is.Empty, string.Join('\n', again.Changes));
            Assert.That(node, Does.StartWith($"k3s version {ChaosEdge.Inventory.K3sSettings.LabRelease} ").And.Contain("\n1\n"), "install.sh's unit runs the uploaded k3s");
            Assert.That(node, Does.Contain("server: https://198.18.").And.Contain("token-file: /etc/rancher/k3s/chaosedge-token").And.Contain("service-cidr: 198.19.0.0/16"), "the K3s plan's config.yaml");
            Assert.That(node, Does.Contain("\nk3s\n600"), "kubectl links to k3s; the token file is the owner's alone");
        });
    }

    [Test]
    public async Task Damaged_or_missing_artifacts_and_a_manifest_the_lab_cannot_run_are_refused_naming_the_file()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        var copy = Directory.CreateTempSubdirectory("chaosedge-artifacts-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(inventory.ArtifactsPath!))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            await File.AppendAllTextAsync(Path.Combine(copy, "install.sh"), "# changed\n");
            File.Delete(Path.Combine(copy, "etcdctl"));
            var damaged = inventory with { ArtifactsPath = copy };
            var refused = (await Assert.ThrowsAsync<ProvisionStepException>(() => new ChaosEdge.Provision.K3s.K3sProvisioner(damaged).ProvisionAsync()))!;

            // Longhorn's manager has no command: the lab has no model of its image, and its API says so.
            await File.WriteAllTextAsync(Path.Combine(copy, "longhorn.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: { name: longhorn-driver-deployer, namespace: default }
                spec:
                  selector: { matchLabels: { app: longhorn-driver-deployer } }
                  template:
                    metadata: { labels: { app: longhorn-driver-deployer } }
                    spec:
                      containers:
                        - { name: longhorn-driver-deployer, image: "longhornio/longhorn-manager:v1.9.1" }
                """);
            await using var executor = new ChaosEdge.Provision.K3s.PlanExecutor(inventory, TimeProvider.System, null, ChaosEdge.Provision.K3s.ArtifactSet.OpenDirectory(copy))
            {
                KubeconfigPath = Path.Combine(copy, "kubeconfig"),
            };
            var unmodelled = (await Assert.ThrowsAsync<ProvisionStepException>(() => executor.RunAsync(new ChaosEdge.Provision.K3s.ProvisionPlan("Longhorn on the lab",
            [
                new ChaosEdge.Provision.K3s.KubeconfigStep(inventory.Servers.First().Name, "Fetch the admin kubeconfig", "/etc/rancher/k3s/k3s.yaml", new Uri($"https://{inventory.ControlPlane.Vip}:6443")),
                new ChaosEdge.Provision.K3s.ApplyStep("Longhorn", "longhorn.yaml", null, "longhorn.yaml"),
            ]))))!;

            Assert.Multiple(() =>
            {
                Assert.That(refused.Message, Does.Contain("'install.sh' has SHA-256").And.Contain("'etcdctl' is missing").And.Contain("nothing was touched"));
                Assert.That(unmodelled.Message, Does.Contain(Path.Combine(copy, "longhorn.yaml")).And.Contain("longhornio/longhorn-manager").And.Contain("has no command"));
            });
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task A_shape_with_bad_names_is_refused_with_every_problem_before_anything_is_made()
    {
        var bad = new LabShape(["N100_1", "n100-2", "n100-2"], "this-name-is-too-long");

        var error = (await Assert.ThrowsAsync<ChaosEdgeException>(() => new ChaosEdge.Provision.VirtualLab.VirtualLab("cebad").UpAsync(bad)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain("'N100_1' is invalid").And.Contain("'n100-2' is given more than once").And.Contain("'this-name-is-too-long' is invalid"));
            Assert.That(Directory.Exists(new ChaosEdge.Provision.VirtualLab.VirtualLab("cebad").Directory), Is.False, "nothing was made");
        });
    }

    [Test]
    public async Task Kube_vips_lease_and_the_VIP_move_when_the_holder_is_powered_off()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        var kubeconfig = Path.Combine(lab.Directory, "kubeconfig");
        var vip = inventory.ControlPlane.Vip.ToString();
        var manifest = await ReadOnNodeAsync(inventory.Nodes[0], $"cat {ClusterProvisioner.KubeVipManifest}");
        var before = await HolderAsync(kubeconfig);
        var holders = await VipHoldersAsync(inventory, vip);
        await lab.PowerOffAsync(before);
        try
        {
            var after = before;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            // The kubeconfig's server is the VIP, which answers nothing while it moves: an empty answer is no answer.
            while ((after == before || after.Length == 0) && watch.Elapsed < TimeSpan.FromSeconds(40))
            {
                await Task.Delay(500);
                after = await HolderAsync(kubeconfig);
            }

            var moved = watch.Elapsed;
            var holdersAfter = await VipHoldersAsync(inventory, vip, skip: before);
            Assert.Multiple(() =>
            {
                Assert.That(manifest, Does.Contain("image: ghcr.io/kube-vip/kube-vip:").And.Contain("value: enp1s0").And.Contain("value: plndr-cp-lock"), "the K3s plan's manifest");
                Assert.That(holders, Is.EqualTo(new[] { before }), "the VIP is on the lease's holder alone");
                Assert.That(after, Is.Not.EqualTo(before).And.Not.Empty, $"the lease moved within {moved.TotalSeconds:0.0} s");
                Assert.That(holdersAfter, Is.EqualTo(new[] { after }), "the VIP followed the lease");
            });
        }
        finally
        {
            await lab.PowerOnAsync(before);
            await WaitHealthyAsync(inventory);
        }
    }

    [Test]
    public async Task MetalLB_gives_the_service_its_address_and_answers_for_it_from_one_node_with_the_address_on_no_interface()
    {
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        var kubeconfig = Path.Combine(lab.Directory, "kubeconfig");
        var kubectl = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"),
            ["--kubeconfig", kubeconfig, "get", "svc", "-n", "default", "edge-app", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"], timeout: TimeSpan.FromSeconds(20));
        var address = kubectl.Stdout.Trim();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var body = await http.GetStringAsync(new Uri($"http://{address}/"));
        var holders = await VipHoldersAsync(inventory, address);
        var macs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in inventory.Nodes)
        {
            macs[(await ReadOnNodeAsync(node, $"cat /sys/class/net/{node.Interface}/address")).Trim()] = node.Name;
        }

        var entry = ChaosEdge.Health.ClientArpCheck.ParseArpTable(await File.ReadAllTextAsync(ChaosEdge.Health.ClientArpCheck.ArpTablePath))
            .FirstOrDefault(e => e.Address.ToString() == address);
        var pods = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"),
            ["--kubeconfig", kubeconfig, "get", "pods", "-n", "metallb-system", "-o", "name"], timeout: TimeSpan.FromSeconds(20));

        Assert.Multiple(() =>
        {
            Assert.That(inventory.ServiceVipPool.Select(a => a.ToString()), Does.Contain(address), kubectl.Stderr);
            Assert.That(body, Does.StartWith("edge-app"));
            Assert.That(holders, Is.Empty, "MetalLB puts the address on no interface");
            Assert.That(entry, Is.Not.Null, "the harness resolved the address by ARP");
            Assert.That(macs.Keys, Does.Contain(entry?.Mac), "one node's speaker answered");
            Assert.That(pods.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(p => p.StartsWith("pod/speaker-", StringComparison.Ordinal)), Is.EqualTo(3), "a speaker per node");
            Assert.That(pods.Stdout, Does.Contain("pod/controller-"));
        });
    }

    [Test]
    public async Task Nightly_passes_the_Failover_and_Dns_suites_on_the_kube_vip_site_lab()
    {
        var run = await NightlyOnLab.RunAsync(lab.InventoryPath, "Failover,Dns", "vip-holder-power-off");
        var scenarios = run.Scenarios;
        var record = run.Records["vip-holder-power-off"];
        Assert.Multiple(() =>
        {
            Assert.That(run.Outcome.ExitCode, Is.Zero, run.Tail);
            Assert.That(scenarios.Select(s => s.Name), Is.EquivalentTo(new[]
            {
                "vip-holder-power-off", "vip-holder-kubelet-stop", "vip-holder-nic-down", "non-holder-power-off", "non-holder-kubelet-stop", "non-holder-nic-down",
                "dns-default-shape", "dns-ha-shape",
            }));
            Assert.That(scenarios.Where(s => s.Name != "dns-default-shape").Select(s => s.Status), Is.All.EqualTo(ScenarioStatus.Pass));
            Assert.That(scenarios.Single(s => s.Name == "dns-default-shape").Reason, Does.Contain("one replica").And.Contain("3 replicas spread"),
                "a lab ChaosEdge did not build is not reshaped: the single-replica scenario says why it did not run");
            Assert.That(record, Does.Contain("n100-").And.Not.Contain("edge-1"), "the run names the site's nodes");
            Assert.That(record, Does.Contain("vip-holder-power-off@kube-vip"), "judged by the SLA's kube-vip entry");
        });
    }

    /// <summary>The next test starts on a healthy cluster: the health gate, as provisioning runs it.</summary>
    private static async Task WaitHealthyAsync(ChaosEdge.Inventory.LabInventory inventory)
    {
        var shells = inventory.Nodes.ToDictionary(n => n.Name, n => (INodeShell)new SshNodeShell(n), StringComparer.Ordinal);
        try
        {
            using var client = new ChaosEdge.Kubernetes.KubeClient(ChaosEdge.Kubernetes.KubeConfig.Load(Path.Combine(Path.GetDirectoryName(inventory.SourcePath)!, "kubeconfig")));
            var serviceVip = await ChaosEdge.Provision.K3s.PlanExecutor.WaitForServiceVipAsync(client, TimeSpan.FromMinutes(1), TimeProvider.System);
            await new ChaosEdge.Health.HealthGate(inventory, shells, client, TimeProvider.System).WaitHealthyAsync(serviceVip, TimeSpan.FromMinutes(3), _ => { }, CancellationToken.None);
        }
        finally
        {
            foreach (var shell in shells.Values)
            {
                await ((SshNodeShell)shell).DisposeAsync();
            }
        }
    }

    private static async Task<string> HolderAsync(string kubeconfig)
    {
        var result = await ProcessRunner.RunAsync(Prerequisite.Program("kubectl", "kubernetes-client"),
            ["--kubeconfig", kubeconfig, "get", "lease", "-n", "kube-system", "plndr-cp-lock", "-o", "jsonpath={.spec.holderIdentity}", "--request-timeout=3s"], timeout: TimeSpan.FromSeconds(10));
        return result.ExitCode == 0 ? result.Stdout.Trim() : string.Empty;
    }

    /// <summary>The nodes with <paramref name="vip"/> on an interface, as <c>ip addr</c> on each shows it.</summary>
    private static async Task<List<string>> VipHoldersAsync(ChaosEdge.Inventory.LabInventory inventory, string vip, string? skip = null)
    {
        var holders = new List<string>();
        foreach (var node in inventory.Nodes.Where(n => n.Name != skip))
        {
            if ((await ReadOnNodeAsync(node, "ip -o -4 addr show")).Contains($" {vip}/", StringComparison.Ordinal))
            {
                holders.Add(node.Name);
            }
        }

        return holders;
    }

    private static async Task<string> ReadOnNodeAsync(ChaosEdge.Inventory.NodeSpec node, string command)
    {
        await using var shell = new SshNodeShell(node);
        return (await shell.RunCheckedAsync(command)).Stdout;
    }
}
