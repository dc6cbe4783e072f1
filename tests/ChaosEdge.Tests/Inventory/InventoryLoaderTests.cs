using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Secrets;

namespace ChaosEdge.Tests.Inventory;

public sealed class InventoryLoaderTests
{
    // Line numbers in the expected messages refer to this file; each case edits one or more of its lines.
    private const string Valid = """
        cluster:
          name: plant-a
          runtime: lab
        network:
          subnet: 198.18.0.0/24
        nodes:
          - name: edge-1
            address: 198.18.0.11
            role: server
            interface: eth0
            ssh:
              user: root
              privateKey: id_ed25519
              hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            bmc:
              kind: ipmi
              address: 198.18.128.11
              username: admin
              password: { env: BMC_PASSWORD }
          - name: edge-2
            address: 198.18.0.12
            interface: eth0
            ssh:
              privateKey: id_ed25519
              knownHosts: known_hosts
        controlPlane:
          vip: 198.18.0.100
        services:
          vipPool:
            - 198.18.0.200-198.18.0.209
        sla: sla.yaml
        artifacts: artifacts

        """;

    private string directory = null!;

    private static IEnumerable<TestCaseData> InvalidFiles()
    {
        yield return Case("address not an IP", ("address: 198.18.0.12", "address: 10.0.0.300"),
            "lab.yaml:21:14 nodes[1].address: '10.0.0.300' is not an IP address.");
        yield return Case("short IPv4 form is not accepted", ("address: 198.18.0.12", "address: 198.18.12"),
            "lab.yaml:21:14 nodes[1].address: '198.18.12' is not an IP address.");
        yield return Case("address outside subnet", ("address: 198.18.0.12", "address: 198.18.1.12"),
            "lab.yaml:21:14 nodes[1].address: '198.18.1.12' lies outside the nodes' subnet '198.18.0.0/24'.");
        yield return Case("duplicate node name", ("name: edge-2", "name: edge-1"),
            "lab.yaml:20:11 nodes[1].name: 'edge-1' is already the name of nodes[0].");
        yield return Case("duplicate node address", ("address: 198.18.0.12", "address: 198.18.0.11"),
            "lab.yaml:21:14 nodes[1].address: '198.18.0.11' is already used by nodes[0].");
        yield return Case("VIP is a node's address", ("vip: 198.18.0.100", "vip: 198.18.0.11"),
            "lab.yaml:27:8 controlPlane.vip: '198.18.0.11' is already used by nodes[0].");
        yield return Case("VIP outside subnet", ("vip: 198.18.0.100", "vip: 198.18.5.100"),
            "lab.yaml:27:8 controlPlane.vip: '198.18.5.100' lies outside the nodes' subnet '198.18.0.0/24'.");
        yield return Case("service pool overlaps the VIP", ("198.18.0.200-198.18.0.209", "198.18.0.95-198.18.0.105"),
            "lab.yaml:30:7 services.vipPool[0]: '198.18.0.100' is already used by controlPlane.vip.");
        yield return Case("service pool range backwards", ("198.18.0.200-198.18.0.209", "198.18.0.209-198.18.0.200"),
            "lab.yaml:30:7 services.vipPool[0]: range '198.18.0.209-198.18.0.200' ends before it starts.");
        yield return Case("typo in a key", ("address: 198.18.0.11", "adress: 198.18.0.11"),
            "lab.yaml:7:5 nodes[0].address: is required.",
            "lab.yaml:8:5 nodes[0].adress: unknown key 'adress' (did you mean 'address'?).");
        yield return Case("unknown top-level key", ("artifacts: artifacts", "artifacts: artifacts\nextra: 1"),
            "lab.yaml:33:1 extra: unknown key 'extra'.");
        yield return Case("missing private key file", ("privateKey: id_ed25519\n      hostKey", "privateKey: id_missing\n      hostKey"),
            "lab.yaml:13:19 nodes[0].ssh.privateKey: file 'id_missing' does not exist.");
        yield return Case("literal BMC password", ("password: { env: BMC_PASSWORD }", "password: hunter2-literal"),
            "lab.yaml:19:17 nodes[0].bmc.password: must be a secret reference ({ env: VARIABLE } or { file: PATH }), not a literal value.");
        yield return Case("BMC password with both sources", ("password: { env: BMC_PASSWORD }", "password: { env: A, file: b }"),
            "lab.yaml:19:17 nodes[0].bmc.password: must name exactly one of 'env' or 'file'.");
        yield return Case("malformed host-key fingerprint", ("\"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", "MD5:aa"),
            "lab.yaml:14:16 nodes[0].ssh.hostKey: 'MD5:aa' is not an SSH host-key fingerprint such as 'SHA256:' followed by 43 base64 characters (see 'ssh-keygen -lf').");
        yield return Case("no way to verify the host key", ("      knownHosts: known_hosts\n", string.Empty),
            "lab.yaml:24:7 nodes[1].ssh.hostKey: is required (or 'knownHosts'): the node's host key must be verified.");
        yield return Case("unknown role", ("role: server", "role: master"),
            "lab.yaml:9:11 nodes[0].role: 'master' is not a role; use 'server', 'agent', 'loadbalancer' or 'etcd'.");
        yield return Case("subnet with host bits", ("subnet: 198.18.0.0/24", "subnet: 198.18.0.5/24"),
            "lab.yaml:5:11 network.subnet: '198.18.0.5/24' is not a network in CIDR notation (such as '198.18.0.0/24', host bits zero).");
        yield return Case("port out of range", ("user: root", "user: root\n      port: 70000"),
            "lab.yaml:13:13 nodes[0].ssh.port: '70000' is not a TCP port (1–65535).");
        yield return Case("interface name too long", ("interface: eth0\n    ssh:\n      user", "interface: enp1s0f0np0-longer\n    ssh:\n      user"),
            "lab.yaml:10:16 nodes[0].interface: 'enp1s0f0np0-longer' is not a Linux interface name (1–15 characters, no spaces or '/').");
        yield return Case("missing control plane", ("controlPlane:\n  vip: 198.18.0.100\n", string.Empty),
            "lab.yaml:1:1 controlPlane: is required.");
        yield return Case("missing SLA file", ("sla: sla.yaml", "sla: missing-sla.yaml"),
            "lab.yaml:31:6 sla: file 'missing-sla.yaml' does not exist.");
        yield return Case("unsupported version", ("cluster:\n  name: plant-a", "version: 2\ncluster:\n  name: plant-a"),
            "lab.yaml:1:10 version: '2' is not a supported inventory version; this ChaosEdge reads version '1'.");
        yield return Case("nodes is not a list", ("nodes:\n  - name: edge-1", "nodes: edge-1\nunused:\n  - name: edge-1"),
            "lab.yaml:6:8 nodes: must be a list of at least one node.",
            "lab.yaml:7:1 unused: unknown key 'unused'.");
        yield return Case("grace period shorter than two lease renewals", ("  name: plant-a", "  name: plant-a\n  nodeMonitorGracePeriod: 15s"),
            "lab.yaml:3:27 cluster.nodeMonitorGracePeriod: nodeMonitorGracePeriod (15s) must be at least two kubelet lease renewals (20s: a renewal every nodeLeaseDuration/4 = 40s/4), or healthy nodes would flap NotReady. Lower nodeLeaseDuration or raise nodeMonitorGracePeriod.");
        yield return Case("duration without a unit", ("  name: plant-a", "  name: plant-a\n  podEvictionTimeout: 300"),
            "lab.yaml:3:23 cluster.podEvictionTimeout: '300' is not a duration between 00:00:00 and 1.00:00:00 (write it as 40s, 5m or 1m30s).");
        yield return Case("keepalived priority out of range", ("  name: plant-a", "  name: plant-a\n  keepalived: { priority: 255 }"),
            "lab.yaml:3:27 cluster.keepalived.priority: '255' is not a whole number from 21 to 254.");
        yield return Case("unknown key in the DNS shape", ("  name: plant-a", "  name: plant-a\n  dns: { replica: 3 }"),
            "lab.yaml:3:10 cluster.dns.replica: unknown key 'replica' (did you mean 'replicas'?).");
        yield return Case("real K3s without its k3s block", ("runtime: lab", "runtime: k3s"),
            "lab.yaml:2:3 k3s: is required: cluster.runtime is 'k3s' (real K3s, the default), and the k3s: block says which release to install (version: v1.36.1+k3s1, say). An inventory of the virtual lab says cluster.runtime: lab.");
        yield return Case("a k3s block on the lab's runtime", ("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: v1.36.1+k3s1 }"),
            "lab.yaml:33:8 k3s.version: is for real K3s; this inventory's cluster.runtime is 'lab' (the virtual lab's node runtime), which takes only k3s.vip and k3s.kubeVip (the control-plane VIP's provider). Remove the key or the runtime.");
        yield return Case("unknown runtime", ("runtime: lab", "runtime: k8s"),
            "lab.yaml:3:12 cluster.runtime: 'k8s' is not a runtime; use 'k3s' (real K3s, the default) or 'lab' (the virtual lab's node runtime).");
        yield return Case("K3s version not a release name", [("runtime: lab", "runtime: k3s"), ("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: 1.36 }")],
            "lab.yaml:33:17 k3s.version: '1.36' is not a K3s release name (such as 'v1.36.1+k3s1').");
        yield return Case("keepalived + HAProxy on K3s's own API port", [("runtime: lab", "runtime: k3s"), ("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: v1.36.1+k3s1, vip: keepalived }")],
            "lab.yaml:33:36 k3s.vip: keepalived + HAProxy runs HAProxy on the servers next to K3s's API server, which holds port 6443 on every address: set controlPlane.port to another port (16443, say) for HAProxy's frontend on the VIP.");
        yield return Case("a load-balancer node on the lab's runtime", ("address: 198.18.0.12", "address: 198.18.0.12\n    role: loadbalancer"),
            "lab.yaml:22:11 nodes[1].role: 'loadbalancer' nodes run keepalived + HAProxy in front of the API servers, and this inventory's cluster.runtime is 'lab', whose keepalived runs on the servers; dedicated load balancers need the K3s plan (cluster.runtime: k3s with k3s.vip: keepalived).");
        yield return Case("an etcd node on the lab's runtime", ("address: 198.18.0.12", "address: 198.18.0.12\n    role: etcd"),
            "lab.yaml:22:11 nodes[1].role: 'etcd' nodes are an external etcd cluster for real K3s's servers (--datastore-endpoint), and this inventory's cluster.runtime is 'lab', whose servers run etcd themselves; use the K3s plan (cluster.runtime: k3s).");
        yield return Case("a load-balancer node with kube-vip", [("runtime: lab", "runtime: k3s"), ("address: 198.18.0.12", "address: 198.18.0.12\n    role: loadbalancer"), ("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: v1.36.1+k3s1 }")],
            "lab.yaml:22:11 nodes[1].role: 'loadbalancer' nodes run keepalived + HAProxy in front of the API servers, and this inventory's control-plane VIP is held by kube-vip on the servers (k3s.vip is 'kube-vip', the default); set k3s.vip: keepalived for keepalived + HAProxy on dedicated nodes.");
        yield return Case("kube-vip timings client-go refuses", [("runtime: lab", "runtime: k3s"), ("artifacts: artifacts", "artifacts: artifacts\nk3s:\n  version: v1.36.1+k3s1\n  kubeVip: { leaseDuration: 5s, renewDeadline: 5s }")],
            "lab.yaml:35:12 k3s.kubeVip: leader election needs leaseDuration > renewDeadline > 1.2 x retryPeriod (now 5s, 5s, 1s); client-go's leader election refuses anything else.");
        yield return Case("K3s without an artifacts directory", [("runtime: lab", "runtime: k3s"), ("artifacts: artifacts", "k3s: { version: v1.36.1+k3s1, token: hunter2 }")],
            "lab.yaml:32:6 artifacts: real K3s needs the artifacts directory: set 'artifacts:' to the directory holding etcdctl, the MetalLB and Longhorn manifests and, air-gapped, k3s, install.sh, the image tarballs, and their checksums (see the README).",
            "lab.yaml:32:38 k3s.token: must be a secret reference ({ env: VARIABLE } or { file: PATH }), not a literal value.");
        yield return Case("jump host without a host-key check", ("artifacts: artifacts", "artifacts: artifacts\njumpHost: { host: bastion.plant-a.example, privateKey: id_ed25519 }"),
            "lab.yaml:33:11 jumpHost.hostKey: is required (or 'knownHosts'): the node's host key must be verified.");
        yield return Case("jump host not an address or name", ("artifacts: artifacts", "artifacts: artifacts\njumpHost: { host: 'bastion host', privateKey: id_ed25519, hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\" }"),
            "lab.yaml:33:19 jumpHost.host: 'bastion host' is not an IP address or a DNS name.");
        yield return Case("a node's jump host given as a name", ("      knownHosts: known_hosts\n", "      knownHosts: known_hosts\n      jumpHost: bastion\n"),
            "lab.yaml:26:17 nodes[1].ssh.jumpHost: is a mapping with 'host', 'privateKey' and 'hostKey' (or 'knownHosts'), or 'none' on a node to connect to it directly.");
        yield return Case("several mistakes, all reported at once",
            [("address: 198.18.0.12", "address: 10.0.0.300"), ("vip: 198.18.0.100", "vip: 198.18.0.11"), ("password: { env: BMC_PASSWORD }", "password: hunter2-literal")],
            "lab.yaml:19:17 nodes[0].bmc.password: must be a secret reference ({ env: VARIABLE } or { file: PATH }), not a literal value.",
            "lab.yaml:21:14 nodes[1].address: '10.0.0.300' is not an IP address.",
            "lab.yaml:27:8 controlPlane.vip: '198.18.0.11' is already used by nodes[0].");
    }

    [OneTimeSetUp]
    public void CreateFiles()
    {
        directory = Directory.CreateTempSubdirectory("ce-inventory-").FullName;
        File.WriteAllText(Path.Combine(directory, "id_ed25519"), "not a real key; only its existence is checked\n");
        File.WriteAllText(Path.Combine(directory, "known_hosts"), string.Empty);
        File.WriteAllText(Path.Combine(directory, "sla.yaml"), string.Empty);
        Directory.CreateDirectory(Path.Combine(directory, "artifacts"));
    }

    [OneTimeTearDown]
    public void RemoveFiles() => Directory.Delete(directory, recursive: true);

    [Test]
    public void A_valid_inventory_loads_with_defaults_and_absolute_paths()
    {
        var lab = Parse(Valid);

        Assert.Multiple(() =>
        {
            Assert.That(lab.ClusterName, Is.EqualTo("plant-a"));
            Assert.That(lab.Subnet.ToString(), Is.EqualTo("198.18.0.0/24"));
            Assert.That(lab.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "edge-1", "edge-2" }));
            Assert.That(lab.Node("edge-2").Role, Is.EqualTo(NodeRole.Server), "role defaults to server");
            Assert.That(lab.Node("edge-2").Ssh.User, Is.EqualTo("root"));
            Assert.That(lab.Node("edge-2").Ssh.Port, Is.EqualTo(22));
            Assert.That(lab.Node("edge-2").Ssh.KnownHostsPath, Is.EqualTo(Path.Combine(directory, "known_hosts")));
            Assert.That(lab.Node("edge-1").Ssh.PrivateKeyPath, Is.EqualTo(Path.Combine(directory, "id_ed25519")));
            Assert.That(lab.Node("edge-1").Bmc, Is.EqualTo(new BmcSpec(BmcKind.Ipmi, IPAddress.Parse("198.18.128.11"), "admin", new SecretReference(SecretSource.Environment, "BMC_PASSWORD"))));
            Assert.That(lab.ControlPlane, Is.EqualTo(new ControlPlaneSpec(IPAddress.Parse("198.18.0.100"), 6443)));
            Assert.That(lab.ServiceVipPool, Has.Count.EqualTo(10));
            Assert.That(lab.ServiceVipPool[^1], Is.EqualTo(IPAddress.Parse("198.18.0.209")));
            Assert.That(lab.SlaPath, Is.EqualTo(Path.Combine(directory, "sla.yaml")));
            Assert.That(lab.ArtifactsPath, Is.EqualTo(Path.Combine(directory, "artifacts")));
        });
    }

    [Test]
    public void The_cluster_block_sets_timings_and_shapes_and_defaults_to_K3s()
    {
        Assert.That(Parse(Valid).Cluster, Is.EqualTo(ClusterSettings.Default with { Runtime = ClusterRuntime.Lab }));

        var lab = Parse(Valid.Replace("  name: plant-a", """
              name: plant-a
              nodeMonitorGracePeriod: 8s
              nodeLeaseDuration: 8s
              podEvictionTimeout: 1m30s
              keepalived: { advertInterval: 2, priority: 150, preempt: false }
              dns: { replicas: 3, antiAffinity: true, podDisruptionBudget: true }
            """, StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(lab.Cluster.NodeMonitorGracePeriod, Is.EqualTo(TimeSpan.FromSeconds(8)));
            Assert.That(lab.Cluster.NodeLeaseDuration, Is.EqualTo(TimeSpan.FromSeconds(8)));
            Assert.That(lab.Cluster.PodEvictionTimeout, Is.EqualTo(TimeSpan.FromSeconds(90)));
            Assert.That(lab.Cluster.Keepalived, Is.EqualTo(new KeepalivedSettings(2, 150, false)));
            Assert.That(lab.Cluster.Dns, Is.EqualTo(new DnsSettings(3, true, true)));
        });
    }

    [Test]
    public void Load_balancer_nodes_carry_the_VIP_on_the_API_port_run_no_K3s_and_one_alone_is_warned_about()
    {
        var yaml = Valid.Replace("runtime: lab", "runtime: k3s", StringComparison.Ordinal)
            .Replace("address: 198.18.0.12", "address: 198.18.0.12\n    role: loadbalancer", StringComparison.Ordinal)
            .Replace("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: v1.36.1+k3s1, vip: keepalived }", StringComparison.Ordinal);

        var lab = Parse(yaml);
        var again = InventoryLoader.Parse(InventoryWriter.Write(lab, directory), "lab.yaml", directory);

        Assert.Multiple(() =>
        {
            Assert.That(lab.ControlPlane.Port, Is.EqualTo(6443), "HAProxy on its own nodes may serve the VIP on the API servers' port");
            Assert.That(lab.Node("edge-2").Role, Is.EqualTo(NodeRole.LoadBalancer));
            Assert.That(lab.VipCarriers.Select(n => n.Name), Is.EqualTo(new[] { "edge-2" }));
            Assert.That(lab.ClusterNodes.Select(n => n.Name), Is.EqualTo(new[] { "edge-1" }));
            Assert.That(lab.Warnings.Select(w => w.ToString()), Has.One.Contains("lab.yaml:22:11 nodes[1].role: one load-balancer node is a single point of failure"));
            Assert.That(again.Node("edge-2").Role, Is.EqualTo(NodeRole.LoadBalancer), "the writer keeps the role");
        });
    }

    [Test]
    public void Etcd_nodes_are_the_etcd_members_run_no_K3s_and_their_count_is_what_the_quorum_warning_counts()
    {
        var yaml = Valid.Replace("runtime: lab", "runtime: k3s", StringComparison.Ordinal)
            .Replace("address: 198.18.0.12", "address: 198.18.0.12\n    role: etcd", StringComparison.Ordinal)
            .Replace("artifacts: artifacts", "artifacts: artifacts\nk3s: { version: v1.36.1+k3s1 }", StringComparison.Ordinal);

        var lab = Parse(yaml);
        var again = InventoryLoader.Parse(InventoryWriter.Write(lab, directory), "lab.yaml", directory);

        Assert.Multiple(() =>
        {
            Assert.That(lab.ExternalEtcd, Is.True);
            Assert.That(lab.EtcdMembers.Select(n => n.Name), Is.EqualTo(new[] { "edge-2" }));
            Assert.That(lab.ClusterNodes.Select(n => n.Name), Is.EqualTo(new[] { "edge-1" }));
            Assert.That(lab.Servers.Select(n => n.Name), Is.EqualTo(new[] { "edge-1" }));
            Assert.That(lab.Warnings, Is.Empty, "one etcd member is not an even count: no quorum warning (the servers' count no longer matters)");
            Assert.That(again.Node("edge-2").Role, Is.EqualTo(NodeRole.Etcd), "the writer keeps the role");
        });
    }

    [Test]
    public void Two_servers_load_with_a_located_quorum_warning_unless_the_inventory_accepts_the_risk()
    {
        var warned = Parse(Valid);
        var accepted = Parse(Valid.Replace("  name: plant-a", "  name: plant-a\n  quorumRiskAccepted: true", StringComparison.Ordinal));
        var oneServer = Parse(Valid.Replace("    address: 198.18.0.12", "    address: 198.18.0.12\n    role: agent", StringComparison.Ordinal));

        Assert.That(warned.Warnings.Select(w => w.ToString()), Has.Exactly(1).StartsWith("lab.yaml:7:3 nodes: 2 servers make an etcd cluster whose quorum is 2: losing either server"));
        Assert.That(accepted.Warnings, Is.Empty);
        Assert.That(accepted.Cluster.QuorumRiskAccepted);
        Assert.That(oneServer.Warnings, Is.Empty);
    }

    [TestCase(3, false)]
    [TestCase(4, true)]
    public void An_even_server_count_above_two_is_warned_about_and_an_odd_one_is_not(int servers, bool warned)
    {
        var more = string.Concat(Enumerable.Range(3, servers - 2).Select(i => $"""
              - name: edge-{i}
                address: 198.18.0.1{i}
                interface: eth0
                ssh:
                  privateKey: id_ed25519
                  knownHosts: known_hosts

            """));

        var lab = Parse(Valid.Replace("controlPlane:", more + "controlPlane:", StringComparison.Ordinal));

        Assert.That(lab.Servers.Count(), Is.EqualTo(servers));
        Assert.That(lab.Warnings.Select(w => w.Message), warned ? Has.Exactly(1).StartsWith("4 servers make an etcd cluster whose quorum is 3: it tolerates 1 failure(s), no more than 3 servers would") : Is.Empty);
    }

    [TestCaseSource(nameof(InvalidFiles))]
    public void An_invalid_inventory_reports_every_problem_with_file_line_column_and_field(string yaml, string[] expected)
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => Parse(yaml))!;
        Assert.That(error.Problems.Select(p => p.ToString()), Is.EqualTo(expected));
    }

    [Test]
    public void The_message_lists_all_problems_and_never_echoes_a_literal_secret()
    {
        var yaml = Valid.Replace("password: { env: BMC_PASSWORD }", "password: hunter2-literal", StringComparison.Ordinal)
            .Replace("address: 198.18.0.12", "address: 10.0.0.300", StringComparison.Ordinal);
        var error = Assert.Throws<ConfigurationInvalidException>(() => Parse(yaml))!;
        Assert.That(error.Message, Is.EqualTo(
            "'lab.yaml' is invalid (2 problems):\n" +
            "  lab.yaml:19:17 nodes[0].bmc.password: must be a secret reference ({ env: VARIABLE } or { file: PATH }), not a literal value.\n" +
            "  lab.yaml:21:14 nodes[1].address: '10.0.0.300' is not an IP address."));
        Assert.That(error.Message, Does.Not.Contain("hunter2"));
    }

    [Test]
    public void An_inventory_jump_host_applies_to_every_node_that_does_not_set_its_own()
    {
        var yaml = Valid.Replace("artifacts: artifacts", "artifacts: artifacts\njumpHost:\n  host: bastion.plant-a.example\n  port: 2222\n  user: jump\n  privateKey: id_ed25519\n  knownHosts: known_hosts", StringComparison.Ordinal)
            .Replace("      knownHosts: known_hosts\n", "      knownHosts: known_hosts\n      jumpHost: none\n", StringComparison.Ordinal);
        var lab = Parse(yaml);
        var jump = lab.Nodes[0].Ssh.JumpHost!;
        Assert.Multiple(() =>
        {
            Assert.That(jump.Host, Is.EqualTo("bastion.plant-a.example"));
            Assert.That(jump.Ssh, Is.EqualTo(new SshSpec("jump", 2222, Path.Combine(directory, "id_ed25519"), null, Path.Combine(directory, "known_hosts"), false)));
            Assert.That(lab.Nodes[1].Ssh.JumpHost, Is.Null, "'jumpHost: none' connects to the node directly");
        });
    }

    [Test]
    public void Broken_yaml_is_reported_with_its_position()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => Parse("cluster:\n  name: [unclosed\nnodes: 1\n"))!;
        Assert.That(error.Problems, Has.Count.EqualTo(1));
        Assert.That(error.Problems[0].ToString(), Does.StartWith("lab.yaml:").And.Contain("is not valid YAML"));
        Assert.That(error.Problems[0].Line, Is.GreaterThan(1));
    }

    [Test]
    public void An_empty_file_is_reported()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => Parse(string.Empty))!;
        Assert.That(error.Problems.Select(p => p.ToString()), Is.EqualTo(new[] { "lab.yaml: is empty." }));
    }

    [Test]
    public void A_missing_file_names_the_file()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => InventoryLoader.Load(Path.Combine(directory, "nope.yaml")))!;
        Assert.That(error.Message, Does.Contain("nope.yaml").And.Contain("cannot be read"));
    }

    [Test]
    public void Written_inventory_reads_back_equal()
    {
        var lab = Parse(Valid);
        var text = InventoryWriter.Write(lab, directory);
        var again = InventoryLoader.Parse(text, "lab.yaml", directory);
        Assert.Multiple(() =>
        {
            Assert.That(again.Nodes, Is.EqualTo(lab.Nodes));
            Assert.That(again.ControlPlane, Is.EqualTo(lab.ControlPlane));
            Assert.That(again.ServiceVipPool, Is.EqualTo(lab.ServiceVipPool));
            Assert.That(again.SlaPath, Is.EqualTo(lab.SlaPath));
            Assert.That(again.ArtifactsPath, Is.EqualTo(lab.ArtifactsPath));
            Assert.That(again.Subnet, Is.EqualTo(lab.Subnet));
        });
    }

    [Test]
    public void A_lab_inventory_may_put_its_control_plane_VIP_on_kube_vip_and_it_writes_back_equal()
    {
        var lab = Parse(Valid.Replace("artifacts: artifacts", "artifacts: artifacts\nk3s:\n  vip: kube-vip\n  kubeVip: { leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 2s }", StringComparison.Ordinal));
        var again = InventoryLoader.Parse(InventoryWriter.Write(lab, directory), "lab.yaml", directory);

        Assert.Multiple(() =>
        {
            Assert.That(lab.K3s!.Vip, Is.EqualTo(VipProvider.KubeVip));
            Assert.That(lab.K3s.Version, Is.EqualTo(K3sSettings.LabVersion));
            Assert.That((lab.K3s.KubeVip.LeaseDuration, lab.K3s.KubeVip.RenewDeadline, lab.K3s.KubeVip.RetryPeriod), Is.EqualTo((TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2))));
            Assert.That(lab.ControlPlaneVipShape, Is.EqualTo("kube-vip"));
            Assert.That(again.K3s, Is.EqualTo(lab.K3s));
            Assert.That(Parse(Valid).ControlPlaneVipShape, Is.EqualTo("keepalived"));
        });
    }

    private LabInventory Parse(string yaml) => InventoryLoader.Parse(yaml, "lab.yaml", directory);

    private static TestCaseData Case(string name, (string Old, string New) edit, params string[] expected) => Case(name, [edit], expected);

    private static TestCaseData Case(string name, (string Old, string New)[] edits, params string[] expected)
    {
        var yaml = Valid;
        foreach (var (old, replacement) in edits)
        {
            Assert.That(yaml, Does.Contain(old), $"case '{name}' edits a line the base file does not have");
            var at = yaml.IndexOf(old, StringComparison.Ordinal);
            yaml = string.Concat(yaml.AsSpan(0, at), replacement, yaml.AsSpan(at + old.Length));
        }

        return new TestCaseData(yaml, expected).SetName("Invalid inventory: " + name);
    }
}
