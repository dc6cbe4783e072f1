using ChaosEdge.NodeRuntime;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>
/// The lab's K3s reads <c>/etc/rancher/k3s/config.yaml</c> and its drop-ins as K3s does (docs.k3s.io "Configuration
/// File"), and its CoreDNS model reads the Corefile K3s ships: what the K3s plan writes is what the lab runs.
/// </summary>
public sealed class K3sConfigFileTests
{
    private string directory = null!;

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("chaosedge-k3sconfig-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(directory, recursive: true);

    private string Config(string text, params (string Name, string Text)[] dropIns)
    {
        var path = Path.Combine(directory, "config.yaml");
        File.WriteAllText(path, text);
        foreach (var (name, content) in dropIns)
        {
            Directory.CreateDirectory(path + ".d");
            File.WriteAllText(Path.Combine(path + ".d", name), content);
        }

        return path;
    }

    [Test]
    public void Keys_are_flags_lists_repeat_them_drop_ins_replace_or_append_and_the_command_line_wins()
    {
        File.WriteAllText(Path.Combine(directory, "token"), "s3cret\n");
        var path = Config($"""
            token-file: {directory}/token
            cluster-init: true
            node-name: from-file
            node-ip: 198.18.0.11
            tls-san:
              - 198.18.0.100
            write-kubeconfig-mode: "0644"
            disable: [servicelb, traefik]
            flannel-iface: enp1s0
            service-cidr: 198.19.0.0/16
            kube-controller-manager-arg:
              - node-monitor-grace-period=8s
            kubelet-arg:
              - node-lease-duration-seconds=8
            """,
            ("10-san.yaml", "tls-san+:\n  - lab.example\n"),
            ("90-rejoin.yaml", "server: https://198.18.0.12:6443\n"));

        var options = RuntimeOptions.Parse(["server", "--config", path, "--node-name", "n100-1"]);

        Assert.Multiple(() =>
        {
            Assert.That(options.Token, Is.EqualTo("s3cret"), "token-file");
            Assert.That(options.ClusterInit, Is.True);
            Assert.That(options.ServerUrl, Is.EqualTo(new Uri("https://198.18.0.12:6443")), "a drop-in's server:");
            Assert.That(options.NodeName, Is.EqualTo("n100-1"), "the command line comes last");
            Assert.That(options.TlsSans, Is.EqualTo(new[] { "198.18.0.100", "lab.example" }), "tls-san+ appends");
            Assert.That(options.KubeconfigMode, Is.EqualTo((UnixFileMode)0b110_100_100));
            Assert.That(options.ServiceCidr.ToString(), Is.EqualTo("198.19.0.0/16"));
            Assert.That(options.NodeMonitorGracePeriod, Is.EqualTo(TimeSpan.FromSeconds(8)));
            Assert.That(options.NodeLeaseDurationSeconds, Is.EqualTo(8));
        });
    }

    [Test]
    public void A_key_the_lab_does_not_know_is_refused_naming_the_file_line_and_key()
    {
        var path = Config("token: t\ncluster-init: true\nflannel-backend: wireguard-native\n");

        var error = Assert.Throws<ArgumentException>(() => RuntimeOptions.Parse(["server", "--config", path]))!;

        Assert.That(error.Message, Does.Contain($"{path}:3:1 flannel-backend"));
    }

    [Test]
    public void A_component_K3s_does_not_package_cannot_be_disabled()
    {
        var path = Config("token: t\ncluster-init: true\ndisable:\n  - servicelb\n  - traefk\n");

        var error = Assert.Throws<ArgumentException>(() => RuntimeOptions.Parse(["server", "--config", path]))!;

        Assert.That(error.Message, Does.Contain($"{path}:3:1 disable").And.Contain("'traefk'"));
    }

    [Test]
    public void A_file_that_is_not_YAML_is_refused_naming_it()
    {
        var path = Config("token: [unclosed\n");

        var error = Assert.Throws<ArgumentException>(() => RuntimeOptions.Parse(["server", "--config", path]))!;

        Assert.That(error.Message, Does.StartWith(path + ":"));
    }

    [Test]
    public void The_Corefile_the_K3s_plan_ships_gives_the_kubernetes_zones_and_the_health_and_ready_ports()
    {
        // The Corefile the K3s plan ships (chaosedge-coredns.yaml, K3s's own), for the example inventory.
        var repository = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", ".."));
        var reference = ChaosEdge.Inventory.InventoryLoader.Load(Path.Combine(repository, "provision", "examples", "n100-lab", "lab.yaml"), forReview: true);
        var manifest = ChaosEdge.Kubernetes.ManifestYaml.Parse(new ChaosEdge.Provision.K3s.K3sManifests(reference).CoreDns(), "chaosedge-coredns.yaml");
        var corefile = (string)manifest.Single(o => (string?)o["kind"] == "ConfigMap")["data"]!["Corefile"]!;

        var parsed = NodeRuntime.CoreDns.Corefile.Parse(corefile, "Corefile");
        var error = Assert.Throws<ArgumentException>(() => NodeRuntime.CoreDns.Corefile.Parse(".:53 {\n    forward . 1.1.1.1\n}\n", "other"))!;

        Assert.Multiple(() =>
        {
            Assert.That(parsed.Zones, Is.EqualTo(new[] { "cluster.local", "in-addr.arpa", "ip6.arpa" }));
            Assert.That(parsed.HealthPort, Is.EqualTo(8080));
            Assert.That(parsed.ReadyPort, Is.EqualTo(8181));
            Assert.That(error.Message, Does.Contain("'other'").And.Contain("kubernetes"));
        });
    }
}
