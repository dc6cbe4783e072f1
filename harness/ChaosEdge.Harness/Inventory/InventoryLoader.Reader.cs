using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Inventory;

public static partial class InventoryLoader
{
    /// <summary>Reads the document tree into a <see cref="LabInventory"/>, reporting problems as it goes.</summary>
    private sealed partial class Reader(YamlProblems problems, string baseDirectory, bool forReview)
    {
        private readonly Dictionary<IPAddress, string> addressOwners = [];

        /// <summary>Where each node with <c>role: loadbalancer</c> says so, for the problems of that role.</summary>
        private readonly List<(YamlNode At, string Path)> loadBalancerRoles = [];

        /// <summary>Where each node with <c>role: etcd</c> says so.</summary>
        private readonly List<(YamlNode At, string Path)> etcdRoles = [];
        private JumpHostSpec? inventoryJumpHost;

        public LabInventory? Read(YamlMappingNode rootNode, string sourcePath)
        {
            var root = new YamlScope(rootNode, string.Empty, problems);
            var version = root.Scalar("version", required: false);
            if (version is not null && version != "1")
            {
                problems.Add(root.NodeOf("version")!, "version", $"'{version}' is not a supported inventory version; this ChaosEdge reads version '1'.");
            }

            var (clusterName, settings) = ReadCluster(root);
            var subnet = ReadSubnet(root);
            inventoryJumpHost = ReadJumpHost(root, "jumpHost", out var jumpOk);
            var nodes = ReadNodes(root, subnet);
            var controlPlane = ReadControlPlane(root, subnet);
            var pool = ReadServices(root, subnet);
            var sla = ReadPath(root, "sla", directory: false);
            var artifacts = ReadPath(root, "artifacts", directory: true);
            var k3s = ReadK3s(root, settings.Runtime, artifacts, loadBalancerRoles.Count > 0 ? 0 : controlPlane?.Port ?? 6443);
            CheckRoles(settings, k3s);
            root.RejectUnknownKeys();

            if (clusterName is null || subnet is null || nodes is null || controlPlane is null || pool is null || !jumpOk || (settings.Runtime == ClusterRuntime.K3s && k3s is null))
            {
                return null;
            }

            return new LabInventory(sourcePath, clusterName, subnet.Value, nodes, controlPlane, pool, sla, artifacts)
            {
                Cluster = settings,
                K3s = k3s,
                Warnings = [.. QuorumWarnings(root, nodes, settings), .. LoadBalancerWarnings()],
            };
        }

        /// <summary>
        /// Load-balancer nodes hold the control-plane VIP with keepalived and pass the API through HAProxy: they exist only
        /// in the keepalived + HAProxy shape of real K3s's plan (kube-vip runs on the servers; the lab's runtime puts
        /// keepalived on the servers, tracking each API server).
        /// </summary>
        private void CheckRoles(ClusterSettings settings, K3sSettings? k3s)
        {
            if (runtimeUnknown)
            {
                return;
            }

            if (settings.Runtime == ClusterRuntime.Lab)
            {
                foreach (var (at, path) in etcdRoles)
                {
                    problems.Add(at, path, "'etcd' nodes are an external etcd cluster for real K3s's servers (--datastore-endpoint), and this inventory's cluster.runtime is 'lab', whose servers run etcd themselves; use the K3s plan (cluster.runtime: k3s).");
                }
            }

            if (loadBalancerRoles.Count == 0)
            {
                return;
            }

            var why = settings.Runtime == ClusterRuntime.Lab
                ? "this inventory's cluster.runtime is 'lab', whose keepalived runs on the servers; dedicated load balancers need the K3s plan (cluster.runtime: k3s with k3s.vip: keepalived)"
                : k3s is { Vip: VipProvider.KubeVip } ? "this inventory's control-plane VIP is held by kube-vip on the servers (k3s.vip is 'kube-vip', the default); set k3s.vip: keepalived for keepalived + HAProxy on dedicated nodes"
                : null;
            if (why is not null)
            {
                foreach (var (at, path) in loadBalancerRoles)
                {
                    problems.Add(at, path, $"'loadbalancer' nodes run keepalived + HAProxy in front of the API servers, and {why}.");
                }
            }
        }

        /// <summary>One load-balancer node holds the VIP alone: its loss takes the API away until it is back.</summary>
        private List<ConfigurationProblem> LoadBalancerWarnings() => loadBalancerRoles.Count == 1
            ? [new ConfigurationProblem(problems.File, (int)loadBalancerRoles[0].At.Start.Line, (int)loadBalancerRoles[0].At.Start.Column, loadBalancerRoles[0].Path,
                "one load-balancer node is a single point of failure: the control-plane VIP has nowhere to move when it is lost. Name two (keepalived moves the VIP between them).")]
            : [];

        /// <summary>
        /// etcd needs a majority of its members: 2 servers tolerate no failure (quorum 2), and an even count tolerates no
        /// more than one server fewer would (4 servers: quorum 3, one failure, as with 3). Both are warned about unless the
        /// inventory says the risk is intended.
        /// </summary>
        private List<ConfigurationProblem> QuorumWarnings(YamlScope root, IReadOnlyList<NodeSpec> nodes, ClusterSettings settings)
        {
            var external = nodes.Count(n => n.Role == NodeRole.Etcd);
            var servers = external > 0 ? external : nodes.Count(n => n.Role == NodeRole.Server);
            if (settings.QuorumRiskAccepted || servers < 2 || servers % 2 == 1)
            {
                return [];
            }

            var at = root.NodeOf("nodes")!;
            var message = servers == 2
                ? "2 servers make an etcd cluster whose quorum is 2: losing either server (power, network, a reboot) stops the control plane, so this cluster tolerates no single failure — it is less available than 1 server. Use 3 servers, or set cluster.quorumRiskAccepted: true if that is intended (a split-brain test lab)."
                : $"{servers} servers make an etcd cluster whose quorum is {(servers / 2) + 1}: it tolerates {(servers / 2) - 1} failure(s), no more than {servers - 1} servers would, with one more member to lose and to keep in sync. Use {servers - 1} or {servers + 1} servers, or set cluster.quorumRiskAccepted: true if that is intended.";
            return [new ConfigurationProblem(problems.File, (int)at.Start.Line, (int)at.Start.Column, "nodes", message)];
        }

        private (string? Name, ClusterSettings Settings) ReadCluster(YamlScope root)
        {
            var cluster = root.Mapping("cluster", required: true);
            if (cluster is null)
            {
                return (null, ClusterSettings.Default);
            }

            var name = cluster.Scalar("name", required: true);
            if (name is not null && !ValueParsers.IsDnsLabel(name))
            {
                problems.Add(cluster.NodeOf("name")!, cluster.FieldPath("name"), $"'{name}' is not a valid name (lower-case letters, digits and '-', at most 63 characters).");
                name = null;
            }

            var defaults = ClusterSettings.Default;
            var grace = ReadDuration(cluster, "nodeMonitorGracePeriod", defaults.NodeMonitorGracePeriod, TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));
            var eviction = ReadDuration(cluster, "podEvictionTimeout", defaults.PodEvictionTimeout, TimeSpan.Zero, TimeSpan.FromDays(1));
            var lease = ReadDuration(cluster, "nodeLeaseDuration", defaults.NodeLeaseDuration, TimeSpan.FromSeconds(4), TimeSpan.FromHours(1));
            if (grace < 2 * ClusterSettings.RenewInterval(lease))
            {
                // The kubelet renews every quarter of the lease; a grace period shorter than two renewals makes healthy nodes flap NotReady.
                var at = cluster.NodeOf("nodeMonitorGracePeriod") is not null ? "nodeMonitorGracePeriod" : "nodeLeaseDuration";
                problems.Add(cluster.NodeOf(at)!, cluster.FieldPath(at),
                    $"nodeMonitorGracePeriod ({grace.TotalSeconds:0.#}s) must be at least two kubelet lease renewals ({2 * ClusterSettings.RenewInterval(lease).TotalSeconds:0.#}s: a renewal every nodeLeaseDuration/4 = {lease.TotalSeconds:0.#}s/4), or healthy nodes would flap NotReady. Lower nodeLeaseDuration or raise nodeMonitorGracePeriod.");
            }

            var keepalived = defaults.Keepalived;
            if (cluster.Mapping("keepalived", required: false) is { } k)
            {
                keepalived = new KeepalivedSettings(
                    ReadInt(k, "advertInterval", keepalived.AdvertInterval, 1, 255), ReadInt(k, "priority", keepalived.Priority, 21, 254), ReadBool(k, "preempt", keepalived.Preempt));
                k.RejectUnknownKeys();
            }

            var dns = defaults.Dns;
            if (cluster.Mapping("dns", required: false) is { } d)
            {
                dns = new DnsSettings(ReadInt(d, "replicas", dns.Replicas, 1, 16), ReadBool(d, "antiAffinity", dns.AntiAffinity), ReadBool(d, "podDisruptionBudget", dns.PodDisruptionBudget));
                d.RejectUnknownKeys();
            }

            var quorumRiskAccepted = ReadBool(cluster, "quorumRiskAccepted", false);
            var runtime = ReadRuntime(cluster);
            System.Net.IPNetwork? serviceCidr = null;
            if (cluster.Scalar("serviceCidr", required: false) is { } cidrText)
            {
                if (System.Net.IPNetwork.TryParse(cidrText, out var cidr) && cidr.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && cidr.PrefixLength is >= 12 and <= 24)
                {
                    serviceCidr = cidr;
                }
                else
                {
                    problems.Add(cluster.NodeOf("serviceCidr")!, cluster.FieldPath("serviceCidr"), $"'{cidrText}' is not an IPv4 network of /12 to /24 written as its base address (such as 10.43.0.0/16, K3s's default).");
                }
            }

            cluster.RejectUnknownKeys();
            return (name, new ClusterSettings(grace, eviction, keepalived, dns) { NodeLeaseDuration = lease, QuorumRiskAccepted = quorumRiskAccepted, Runtime = runtime, ServiceCidrSetting = serviceCidr });
        }

        private TimeSpan ReadDuration(YamlScope scope, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
        {
            var text = scope.Scalar(key, required: false);
            if (text is null)
            {
                return fallback;
            }

            if (!ValueParsers.TryParseDuration(text, out var value) || value < min || value > max)
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"'{text}' is not a duration between {min} and {max} (write it as 40s, 5m or 1m30s).");
                return fallback;
            }

            return value;
        }

        private int ReadInt(YamlScope scope, string key, int fallback, int min, int max) => scope.Int(key, fallback, min, max);

        private bool ReadBool(YamlScope scope, string key, bool fallback) => scope.Bool(key, fallback);

        private IPNetwork? ReadSubnet(YamlScope root)
        {
            var network = root.Mapping("network", required: true);
            if (network is null)
            {
                return null;
            }

            var text = network.Scalar("subnet", required: true);
            IPNetwork? subnet = null;
            if (text is not null)
            {
                if (ValueParsers.TryParseNetwork(text, out var parsed))
                {
                    subnet = parsed;
                }
                else
                {
                    problems.Add(network.NodeOf("subnet")!, network.FieldPath("subnet"), $"'{text}' is not a network in CIDR notation (such as '198.18.0.0/24', host bits zero).");
                }
            }

            network.RejectUnknownKeys();
            return subnet;
        }

        private List<NodeSpec>? ReadNodes(YamlScope root, IPNetwork? subnet)
        {
            var value = root.Required("nodes");
            if (value is null)
            {
                return null;
            }

            if (value is not YamlSequenceNode sequence || sequence.Children.Count == 0)
            {
                problems.Add(value, "nodes", "must be a list of at least one node.");
                return null;
            }

            var nodes = new List<NodeSpec>();
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                var node = ReadNode(sequence.Children[i], $"nodes[{Number(i)}]", subnet, names);
                if (node is null)
                {
                    ok = false;
                }
                else
                {
                    nodes.Add(node);
                }
            }

            return ok ? nodes : null;
        }

        private NodeSpec? ReadNode(YamlNode yaml, string path, IPNetwork? subnet, Dictionary<string, string> names)
        {
            var scope = YamlScope.Open(yaml, path, problems);
            if (scope is null)
            {
                return null;
            }

            var name = scope.Scalar("name", required: true);
            if (name is not null)
            {
                if (!ValueParsers.IsDnsLabel(name))
                {
                    problems.Add(scope.NodeOf("name")!, scope.FieldPath("name"), $"'{name}' is not a valid node name (lower-case letters, digits and '-', at most 63 characters).");
                    name = null;
                }
                else if (names.TryGetValue(name, out var first))
                {
                    problems.Add(scope.NodeOf("name")!, scope.FieldPath("name"), $"'{name}' is already the name of {first}.");
                    name = null;
                }
                else
                {
                    names[name] = path;
                }
            }

            var address = ReadAddress(scope, "address", required: true, subnet, claimAs: path);
            var role = NodeRole.Server;
            var roleText = scope.Scalar("role", required: false);
            if (roleText is not null)
            {
                switch (roleText)
                {
                    case "server": role = NodeRole.Server; break;
                    case "agent": role = NodeRole.Agent; break;
                    case "loadbalancer":
                        role = NodeRole.LoadBalancer;
                        loadBalancerRoles.Add((scope.NodeOf("role")!, scope.FieldPath("role")));
                        break;
                    case "etcd":
                        role = NodeRole.Etcd;
                        etcdRoles.Add((scope.NodeOf("role")!, scope.FieldPath("role")));
                        break;
                    default:
                        problems.Add(scope.NodeOf("role")!, scope.FieldPath("role"), $"'{roleText}' is not a role; use 'server', 'agent', 'loadbalancer' or 'etcd'.");
                        roleText = null;
                        break;
                }
            }

            var nic = scope.Scalar("interface", required: true);
            if (nic is not null && (nic.Length is 0 or > 15 || nic.Any(c => char.IsWhiteSpace(c) || c == '/')))
            {
                problems.Add(scope.NodeOf("interface")!, scope.FieldPath("interface"), $"'{nic}' is not a Linux interface name (1–15 characters, no spaces or '/').");
                nic = null;
            }

            var ssh = ReadSsh(scope);
            var bmc = ReadBmc(scope);
            scope.RejectUnknownKeys();
            var bmcOk = scope.NodeOf("bmc") is null || bmc is not null;
            if (name is null || address is null || nic is null || ssh is null || !bmcOk || (roleText is null && scope.NodeOf("role") is not null))
            {
                return null;
            }

            return new NodeSpec(name, address, role, nic, ssh, bmc);
        }

        private SshSpec? ReadSsh(YamlScope node)
        {
            var ssh = node.Mapping("ssh", required: true);
            if (ssh is null)
            {
                return null;
            }

            // A node's own jump host, else the inventory's; 'jumpHost: none' connects directly despite the inventory's.
            JumpHostSpec? jump;
            var jumpOk = true;
            if (ssh.Optional("jumpHost") is YamlScalarNode { Value: "none" })
            {
                jump = null;
            }
            else
            {
                jump = ssh.NodeOf("jumpHost") is null ? inventoryJumpHost : ReadJumpHost(ssh, "jumpHost", out jumpOk);
            }

            var spec = ReadSshFields(ssh);
            return spec is null || !jumpOk ? null : spec with { JumpHost = jump };
        }

        /// <summary>
        /// A jump host: <c>host</c> (an address or DNS name) and the same login and host-key fields as a node's
        /// <c>ssh</c> block. <paramref name="ok"/> is false when the block is present and invalid.
        /// </summary>
        private JumpHostSpec? ReadJumpHost(YamlScope parent, string key, out bool ok)
        {
            ok = true;
            if (parent.Optional(key) is YamlScalarNode)
            {
                problems.Add(parent.NodeOf(key)!, parent.FieldPath(key), "is a mapping with 'host', 'privateKey' and 'hostKey' (or 'knownHosts'), or 'none' on a node to connect to it directly.");
                ok = false;
                return null;
            }

            var jump = parent.Mapping(key, required: false);
            if (jump is null)
            {
                return null;
            }

            var host = jump.Scalar("host", required: true);
            if (host is not null && !IPAddress.TryParse(host, out _) && !host.Split('.').All(ValueParsers.IsDnsLabel))
            {
                problems.Add(jump.NodeOf("host")!, jump.FieldPath("host"), $"'{host}' is not an IP address or a DNS name.");
                host = null;
            }

            var ssh = ReadSshFields(jump);
            ok = host is not null && ssh is not null;
            return ok ? new JumpHostSpec(host!, ssh!) : null;
        }

        private SshSpec? ReadSshFields(YamlScope ssh)
        {
            var ok = true;
            var user = ssh.Scalar("user", required: false) ?? "root";
            var port = ReadPort(ssh, "port", 22, ref ok);
            var key = ReadPath(ssh, "privateKey", directory: false, required: true, mustExist: !forReview);
            ok &= key is not null;

            var fingerprint = ssh.Scalar("hostKey", required: false);
            if (fingerprint is not null && !ValueParsers.IsSha256Fingerprint(fingerprint))
            {
                problems.Add(ssh.NodeOf("hostKey")!, ssh.FieldPath("hostKey"), $"'{fingerprint}' is not an SSH host-key fingerprint such as 'SHA256:' followed by 43 base64 characters (see 'ssh-keygen -lf').");
                ok = false;
            }

            var tofuText = ssh.Scalar("trustOnFirstUse", required: false);
            var tofu = false;
            if (tofuText is not null && !bool.TryParse(tofuText, out tofu))
            {
                problems.Add(ssh.NodeOf("trustOnFirstUse")!, ssh.FieldPath("trustOnFirstUse"), $"'{tofuText}' is not 'true' or 'false'.");
                ok = false;
            }

            // With trust-on-first-use the known_hosts file is where the key will be recorded, so it may not exist yet.
            var knownHosts = ReadPath(ssh, "knownHosts", directory: false, required: false, mustExist: !tofu && !forReview);
            if (ssh.NodeOf("knownHosts") is not null && knownHosts is null)
            {
                ok = false;
            }

            if (fingerprint is not null && ssh.NodeOf("knownHosts") is not null)
            {
                problems.Add(ssh.NodeOf("knownHosts")!, ssh.FieldPath("knownHosts"), "cannot be combined with 'hostKey'; use one way of verifying the host key.");
                ok = false;
            }
            else if (fingerprint is null && ssh.NodeOf("knownHosts") is null)
            {
                problems.Add(ssh.Node, ssh.FieldPath("hostKey"), "is required (or 'knownHosts'): the node's host key must be verified.");
                ok = false;
            }

            if (tofu && ssh.NodeOf("knownHosts") is null)
            {
                problems.Add(ssh.NodeOf("trustOnFirstUse")!, ssh.FieldPath("trustOnFirstUse"), "needs 'knownHosts', the file the accepted key is recorded in.");
                ok = false;
            }

            ssh.RejectUnknownKeys();
            return ok ? new SshSpec(user, port, key!, fingerprint, knownHosts, tofu) : null;
        }

        private BmcSpec? ReadBmc(YamlScope node)
        {
            var bmc = node.Mapping("bmc", required: false);
            if (bmc is null)
            {
                return null;
            }

            var ok = true;
            var kindText = bmc.Scalar("kind", required: true);
            var kind = BmcKind.Ipmi;
            switch (kindText)
            {
                case "ipmi": kind = BmcKind.Ipmi; break;
                case "redfish": kind = BmcKind.Redfish; break;
                case null: ok = false; break;
                default:
                    problems.Add(bmc.NodeOf("kind")!, bmc.FieldPath("kind"), $"'{kindText}' is not a BMC kind; use 'ipmi' or 'redfish'.");
                    ok = false;
                    break;
            }

            var address = ReadAddress(bmc, "address", required: true, subnet: null, claimAs: bmc.Path);
            var user = bmc.Scalar("username", required: true);
            var password = ReadSecret(bmc, "password");
            var cipherSuite = 17;
            if (bmc.Scalar("cipherSuite", required: false) is { } cipherText)
            {
                if (!int.TryParse(cipherText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cipherSuite) || cipherSuite > 17)
                {
                    problems.Add(bmc.NodeOf("cipherSuite")!, bmc.FieldPath("cipherSuite"), $"'{cipherText}' is not an IPMI cipher suite (0–17).");
                    ok = false;
                }
            }

            string? ca = null;
            if (bmc.Scalar("caCertificate", required: false) is { } caText)
            {
                ca = Path.GetFullPath(Path.Combine(baseDirectory, caText));
                if (!File.Exists(ca))
                {
                    problems.Add(bmc.NodeOf("caCertificate")!, bmc.FieldPath("caCertificate"), $"file '{caText}' does not exist.");
                    ok = false;
                }
            }

            bmc.RejectUnknownKeys();
            return ok && address is not null && user is not null && password is not null
                ? new BmcSpec(kind, address, user, password) { CipherSuite = cipherSuite, CaCertificatePath = ca }
                : null;
        }

        private SecretReference? ReadSecret(YamlScope parent, string key)
        {
            var value = parent.Required(key);
            if (value is null)
            {
                return null;
            }

            var field = parent.FieldPath(key);
            if (value is not YamlMappingNode)
            {
                // Never echo the value: it is probably the secret itself.
                problems.Add(value, field, "must be a secret reference ({ env: VARIABLE } or { file: PATH }), not a literal value.");
                return null;
            }

            var scope = new YamlScope((YamlMappingNode)value, field, problems);
            var env = scope.Scalar("env", required: false);
            var file = scope.Scalar("file", required: false);
            scope.RejectUnknownKeys();
            if ((env is null) == (file is null))
            {
                problems.Add(value, field, "must name exactly one of 'env' or 'file'.");
                return null;
            }

            if (env is not null)
            {
                return new SecretReference(SecretSource.Environment, env);
            }

            var path = Path.GetFullPath(Path.Combine(baseDirectory, file!));
            if (!File.Exists(path))
            {
                problems.Add(scope.NodeOf("file")!, scope.FieldPath("file"), $"file '{file}' does not exist.");
                return null;
            }

            return new SecretReference(SecretSource.File, path);
        }

        private ControlPlaneSpec? ReadControlPlane(YamlScope root, IPNetwork? subnet)
        {
            var cp = root.Mapping("controlPlane", required: true);
            if (cp is null)
            {
                return null;
            }

            var ok = true;
            var vip = ReadAddress(cp, "vip", required: true, subnet, claimAs: "controlPlane.vip");
            var port = ReadPort(cp, "port", 6443, ref ok);
            cp.RejectUnknownKeys();
            return vip is not null && ok ? new ControlPlaneSpec(vip, port) : null;
        }

        private List<IPAddress>? ReadServices(YamlScope root, IPNetwork? subnet)
        {
            var services = root.Mapping("services", required: false);
            if (services is null)
            {
                return root.NodeOf("services") is null ? [] : null;
            }

            var value = services.Optional("vipPool");
            var result = new List<IPAddress>();
            var ok = true;
            if (value is YamlSequenceNode sequence)
            {
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    ok &= ReadPoolEntry(sequence.Children[i], services.FieldPath("vipPool") + $"[{Number(i)}]", subnet, result);
                }
            }
            else if (value is YamlScalarNode)
            {
                ok &= ReadPoolEntry(value, services.FieldPath("vipPool"), subnet, result);
            }
            else if (value is not null)
            {
                problems.Add(value, services.FieldPath("vipPool"), "must be a list of addresses, ranges ('first-last') or CIDR networks.");
                ok = false;
            }

            services.RejectUnknownKeys();
            return ok ? result : null;
        }

        private bool ReadPoolEntry(YamlNode node, string field, IPNetwork? subnet, List<IPAddress> pool)
        {
            if (node is not YamlScalarNode { Value: { } text })
            {
                problems.Add(node, field, "must be an address, a range ('first-last') or a CIDR network.");
                return false;
            }

            if (!ValueParsers.TryExpandPoolEntry(text, MaxPoolSize - pool.Count, out var addresses, out var error))
            {
                problems.Add(node, field, error!);
                return false;
            }

            foreach (var address in addresses)
            {
                if (!CheckAddress(node, field, address, subnet, claimAs: field))
                {
                    return false;
                }
            }

            pool.AddRange(addresses);
            return true;
        }

        private IPAddress? ReadAddress(YamlScope scope, string key, bool required, IPNetwork? subnet, string claimAs)
        {
            var text = scope.Scalar(key, required);
            if (text is null)
            {
                return null;
            }

            var node = scope.NodeOf(key)!;
            var field = scope.FieldPath(key);
            if (!ValueParsers.TryParseAddress(text, out var address))
            {
                problems.Add(node, field, $"'{text}' is not an IP address.");
                return null;
            }

            return CheckAddress(node, field, address, subnet, claimAs == scope.Path ? field : claimAs) ? address : null;
        }

        private bool CheckAddress(YamlNode node, string field, IPAddress address, IPNetwork? subnet, string claimAs)
        {
            if (subnet is { } net && !net.Contains(address))
            {
                problems.Add(node, field, $"{Quote(address)} lies outside the nodes' subnet '{net}'.");
                return false;
            }

            if (addressOwners.TryGetValue(address, out var owner))
            {
                problems.Add(node, field, $"{Quote(address)} is already used by {owner}.");
                return false;
            }

            addressOwners[address] = claimAs.EndsWith(".address", StringComparison.Ordinal) ? claimAs[..^".address".Length] : claimAs;
            return true;
        }

        private int ReadPort(YamlScope scope, string key, int fallback, ref bool ok)
        {
            var text = scope.Scalar(key, required: false);
            if (text is null)
            {
                return fallback;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"'{text}' is not a TCP port (1–65535).");
                ok = false;
                return fallback;
            }

            return port;
        }

        private string? ReadPath(YamlScope scope, string key, bool directory, bool required = false, bool mustExist = true)
        {
            var text = scope.Scalar(key, required);
            if (text is null)
            {
                return null;
            }

            var path = Path.GetFullPath(Path.Combine(baseDirectory, text));
            if (mustExist && !(directory ? Directory.Exists(path) : File.Exists(path)))
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"{(directory ? "directory" : "file")} '{text}' does not exist.");
                return null;
            }

            return path;
        }
    }
}
