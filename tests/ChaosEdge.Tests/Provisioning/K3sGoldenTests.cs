using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// Every artifact generated for real K3s, for the reference inventory (<c>provision/examples/n100-lab/lab.yaml</c>),
/// compared exactly with its golden file under <c>Provisioning/Golden</c> (set CHAOSEDGE_UPDATE_GOLDEN=1 to rewrite
/// them after an intended change, and review the diff).
/// </summary>
public sealed class K3sGoldenTests
{
    private static readonly string Repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", ".."));
    private static readonly string GoldenDirectory = Path.Combine(Repository, "tests", "ChaosEdge.Tests", "Provisioning", "Golden");

    private static LabInventory Reference => InventoryLoader.Load(Path.Combine(Repository, "provision", "examples", "n100-lab", "lab.yaml"), forReview: true);

    /// <summary>The reference inventory with keepalived + HAProxy instead of kube-vip (HAProxy's frontend on 16443).</summary>
    private static LabInventory KeepalivedVariant
    {
        get
        {
            var reference = Reference;
            return reference with { ControlPlane = reference.ControlPlane with { Port = 16443 }, K3s = reference.K3s! with { Vip = VipProvider.Keepalived } };
        }
    }

    /// <summary>
    /// The keepalived + HAProxy variant on two dedicated load-balancer nodes (kubeadm's HA layout): HAProxy's frontend
    /// on the API servers' own port, nothing of it on the servers.
    /// </summary>
    private static LabInventory LoadBalancerVariant
    {
        get
        {
            var reference = Reference;
            var first = reference.Servers.First();
            var balancers = new[] { ("n100-lb-1", "192.168.50.21"), ("n100-lb-2", "192.168.50.22") }
                .Select(b => first with { Name = b.Item1, Address = System.Net.IPAddress.Parse(b.Item2), Role = NodeRole.LoadBalancer, Bmc = null });
            return reference with { Nodes = [.. reference.Nodes, .. balancers], K3s = reference.K3s! with { Vip = VipProvider.Keepalived } };
        }
    }

    /// <summary>The reference inventory with its servers' datastore on an external etcd cluster of three nodes.</summary>
    private static LabInventory ExternalEtcdVariant
    {
        get
        {
            var reference = Reference;
            var first = reference.Servers.First();
            var members = new[] { ("n100-etcd-1", "192.168.50.31"), ("n100-etcd-2", "192.168.50.32"), ("n100-etcd-3", "192.168.50.33") }
                .Select(b => first with { Name = b.Item1, Address = System.Net.IPAddress.Parse(b.Item2), Role = NodeRole.Etcd, Bmc = null });
            return reference with { Nodes = [.. reference.Nodes, .. members] };
        }
    }

    private static IEnumerable<TestCaseData> Artifacts()
    {
        var manifests = new K3sManifests(Reference);
        foreach (var node in Reference.Nodes)
        {
            yield return Case($"config-{node.Name}.yaml", manifests.Config(node));
        }

        yield return Case("kube-vip.yaml", manifests.KubeVip());
        yield return Case("coredns.yaml", manifests.CoreDns());
        yield return Case("metallb-pool.yaml", manifests.MetalLbPool());
        yield return Case("longhorn.yaml", manifests.Longhorn());
        yield return Case("edge-app.yaml", manifests.SampleApp());
        var variant = new K3sManifests(KeepalivedVariant);
        yield return Case("haproxy.cfg", variant.HaProxy());
        yield return Case("keepalived-n100-1.conf", variant.Keepalived(KeepalivedVariant.Servers.First()));
        var provisioner = new K3sProvisioner(Reference);
        yield return Case("plan.txt", provisioner.Plan().Render());
        yield return Case("reset-plan.txt", provisioner.ResetPlan().Render());
        yield return Case("plan-keepalived.txt", new K3sProvisioner(KeepalivedVariant).Plan().Render());
        yield return Case("keepalived-n100-lb-2.conf", new K3sManifests(LoadBalancerVariant).Keepalived(LoadBalancerVariant.Node("n100-lb-2")));
        yield return Case("plan-load-balancers.txt", new K3sProvisioner(LoadBalancerVariant).Plan().Render());
        yield return Case("reset-plan-load-balancers.txt", new K3sProvisioner(LoadBalancerVariant).ResetPlan().Render());
        var external = new K3sManifests(ExternalEtcdVariant);
        yield return Case("config-n100-2-external-etcd.yaml", external.Config(ExternalEtcdVariant.Node("n100-2")));
        yield return Case("etcd-n100-etcd-1.env", external.EtcdEnvironment(ExternalEtcdVariant.Node("n100-etcd-1")));
        yield return Case("etcd.service", external.EtcdUnit());
        yield return Case("plan-external-etcd.txt", new K3sProvisioner(ExternalEtcdVariant).Plan().Render());
        yield return Case("reset-plan-external-etcd.txt", new K3sProvisioner(ExternalEtcdVariant).ResetPlan().Render());
    }

    private static TestCaseData Case(string name, string content) => new TestCaseData(name, content).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Artifacts))]
    public void A_generated_artifact_matches_its_golden_file(string name, string content)
    {
        var golden = Path.Combine(GoldenDirectory, name);
        if (Environment.GetEnvironmentVariable("CHAOSEDGE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, content);
        }

        Assert.That(content, Is.EqualTo(File.ReadAllText(golden)));
    }

    [Test]
    public void Every_generated_manifest_is_valid_YAML_of_Kubernetes_objects_that_carry_the_chaosedge_label()
    {
        var manifests = new K3sManifests(Reference);
        foreach (var (name, yaml) in new[] { ("kube-vip", manifests.KubeVip()), ("coredns", manifests.CoreDns()), ("metallb", manifests.MetalLbPool()), ("longhorn", manifests.Longhorn()), ("edge-app", manifests.SampleApp()) })
        {
            var objects = ManifestYaml.Parse(yaml, name);
            Assert.That(objects, Is.Not.Empty, name);
            Assert.That(objects.Select(o => o.Label(K3sManifests.ManagedLabel)), Is.All.EqualTo("chaosedge"), name);
        }

        var dns = ManifestYaml.Parse(manifests.CoreDns(), "coredns").Single(o => (string?)o["kind"] == "Deployment");
        Assert.Multiple(() =>
        {
            Assert.That((int?)dns["spec"]?["replicas"], Is.EqualTo(3), "the inventory's DNS replicas");
            Assert.That(dns.Text("spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"), Is.Not.Null, "required anti-affinity");
            Assert.That(ManifestYaml.Parse(manifests.CoreDns(), "coredns").Any(o => (string?)o["kind"] == "PodDisruptionBudget"), "a PodDisruptionBudget");
        });
    }

    [Test]
    public void A_node_configuration_references_the_token_by_file_and_never_contains_it()
    {
        var manifests = new K3sManifests(Reference);
        var plan = new K3sProvisioner(Reference).Plan();
        Assert.That(Reference.Nodes.Select(manifests.Config), Is.All.Contain($"token-file: {K3sManifests.TokenPath}"));
        var token = plan.Steps.OfType<WriteStep>().First(s => s.RemotePath == K3sManifests.TokenPath);
        Assert.That(token.Describe(), Does.Contain("env:N100_K3S_TOKEN").And.Contain("never shown"));
    }

    [Test]
    public void Servers_join_one_at_a_time_each_waited_for_before_the_next_starts()
    {
        var steps = new K3sProvisioner(Reference).Plan().Steps;
        var installs = steps.Select((s, i) => (s, i)).Where(p => p.s is RunStep { Title: "Install and start K3s (server)" }).Select(p => p.i).ToList();
        var waits = steps.Select((s, i) => (s, i)).Where(p => p.s is WaitStep).Select(p => p.i).ToList();
        Assert.That(installs, Has.Count.EqualTo(3));
        for (var n = 0; n < installs.Count; n++)
        {
            Assert.That(waits[n], Is.GreaterThan(installs[n]), "each server is waited for after its install");
            if (n + 1 < installs.Count)
            {
                Assert.That(waits[n], Is.LessThan(installs[n + 1]), "and before the next one is installed");
            }
        }
    }

    [Test]
    public void Artifacts_are_checked_against_their_checksum_lists_before_anything_is_touched()
    {
        var directory = Directory.CreateTempSubdirectory("ce-artifacts-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "etcdctl"), "etcdctl bytes");
            File.WriteAllText(Path.Combine(directory, "metallb-native.yaml"), "tampered");
            var good = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("etcdctl bytes"u8));
            File.WriteAllText(Path.Combine(directory, "SHA256SUMS"), $"{good}  etcdctl\n{new string('0', 64)}  metallb-native.yaml\n");
            var inventory = Reference with { ArtifactsPath = directory, K3s = Reference.K3s! with { Install = K3sInstallSource.Online, Longhorn = null } };

            var problems = ArtifactSet.Open(inventory).VerifyAsync().GetAwaiter().GetResult();

            Assert.That(problems, Has.Count.EqualTo(1));
            Assert.That(problems[0], Does.StartWith("'metallb-native.yaml' has SHA-256 ").And.Contain("damaged"));
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }
}
