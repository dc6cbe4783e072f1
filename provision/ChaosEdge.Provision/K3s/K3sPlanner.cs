using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Provision.Cluster;

namespace ChaosEdge.Provision.K3s;

/// <summary>
/// The ordered plan that builds a real K3s HA cluster over SSH (and the one that removes it): servers one at a time, the
/// first with cluster-init, each waited for (Ready, its etcd member healthy) before the next; agents after; then
/// MetalLB, Longhorn, the sample workload and the health gate through the API. Pure: it reads nothing but the inventory
/// and the artifacts' checksum lists, so the plan can be reviewed (and golden-tested) without touching a node.
/// </summary>
public sealed class K3sPlanner(LabInventory inventory, ArtifactSet artifacts)
{
    public const string InstallDirectory = "/var/lib/chaosedge/k3s";
    public const string ImagesDirectory = "/var/lib/rancher/k3s/agent/images";
    public const string ConfigPath = "/etc/rancher/k3s/config.yaml";

    /// <summary>The secret joining nodes write as their token: the first server's secure token.</summary>
    public const string SecureTokenSource = "the first server's /var/lib/rancher/k3s/server/token";

    private readonly K3sManifests manifests = new(inventory);

    private K3sSettings K3s => inventory.K3s!;

    /// <summary>The provisioning plan. <paramref name="tokenSource"/> says where the token comes from (shown instead of it).</summary>
    public ProvisionPlan Provision(string tokenSource)
    {
        var steps = new List<PlanStep>();
        var first = inventory.Servers.First();

        // Dedicated load balancers first, as in kubeadm's HA layout: the VIP's frontend exists before anything joins
        // through it; HAProxy marks each API server up as its /readyz starts answering.
        foreach (var node in inventory.LoadBalancers)
        {
            steps.AddRange(LoadBalancerSteps(node));
        }

        // An external etcd cluster next: every member started with the whole initial cluster, then waited for together
        // (a new cluster has no quorum until a majority runs).
        foreach (var node in inventory.EtcdNodes)
        {
            steps.AddRange(EtcdSteps(node));
        }

        if (inventory.EtcdNodes.FirstOrDefault() is { } firstEtcd)
        {
            steps.Add(new WaitStep(firstEtcd.Name, "The external etcd cluster is healthy",
                $"ETCDCTL_API=3 etcdctl --endpoints={string.Join(',', inventory.EtcdNodes.Select(n => $"https://{n.Address}:2379"))} {EtcdProbe.ExternalEtcdctlFlags} --command-timeout=3s endpoint health",
                TimeSpan.FromMinutes(2)));
        }

        foreach (var node in inventory.Servers.Concat(inventory.Nodes.Where(n => n.Role == NodeRole.Agent)))
        {
            // The first server starts with the cluster's token; the others join with the secure token it then writes
            // (K10<CA hash>::server:<token>), which pins its CA: a bare token would trust whatever CA answers.
            steps.AddRange(NodeSteps(node, node == first ? tokenSource : SecureTokenSource));
            if (node == first)
            {
                steps.Add(new ReadSecretStep(node.Name, "The secure join token (pins the cluster's CA)", "/var/lib/rancher/k3s/server/token", SecureTokenSource));
            }
        }

        var vip = new Uri($"https://{inventory.ControlPlane.Vip}:{inventory.ControlPlane.Port}");
        steps.Add(new KubeconfigStep(inventory.Servers.First().Name, "Fetch the admin kubeconfig", "/etc/rancher/k3s/k3s.yaml", vip));
        steps.Add(new ClusterWaitStep("The control-plane VIP answers", ClusterCondition.VipAnswers, $"{vip.Host}:{vip.Port} accepts TCP connections", TimeSpan.FromMinutes(2)));
        steps.Add(new ApplyStep("MetalLB (L2 mode)", ArtifactSet.MetalLbManifest, null, ArtifactSet.MetalLbManifest));
        steps.Add(new ClusterWaitStep("MetalLB is running", ClusterCondition.WorkloadsAvailable, "every Deployment and DaemonSet in metallb-system is available", TimeSpan.FromMinutes(5), "metallb-system"));
        steps.Add(new ApplyStep("MetalLB address pool and L2 advertisement", "chaosedge-metallb-pool.yaml", manifests.MetalLbPool()));
        if (K3s.Longhorn is not null)
        {
            steps.Add(new ApplyStep("Longhorn", ArtifactSet.LonghornManifest, null, ArtifactSet.LonghornManifest));
            steps.Add(new ClusterWaitStep("Longhorn is running", ClusterCondition.WorkloadsAvailable, "every Deployment and DaemonSet in longhorn-system is available", TimeSpan.FromMinutes(10), "longhorn-system"));
            steps.Add(new ApplyStep("Longhorn settings and the I/O probe's volume", "chaosedge-longhorn.yaml", manifests.Longhorn()));
            steps.Add(new ClusterWaitStep("The I/O probe's volume is healthy", ClusterCondition.LonghornVolumeHealthy, $"the volume of PVC default/{K3sManifests.ProbeVolumeClaim} is attached and healthy", TimeSpan.FromMinutes(5)));
        }

        steps.Add(new ApplyStep("Sample workload behind a LoadBalancer VIP", "chaosedge-edge-app.yaml", manifests.SampleApp()));
        steps.Add(new ClusterWaitStep("Health gate", ClusterCondition.Healthy, "every node is Ready, every etcd member healthy, DNS answers on every node and the service VIP answers HTTP", TimeSpan.FromMinutes(5)));
        return new ProvisionPlan($"Provisioning plan for cluster '{inventory.ClusterName}': K3s {K3s.Version} ({(K3s.Install == K3sInstallSource.Airgap ? "air-gapped" : "online")}), control-plane VIP {inventory.ControlPlane.Vip} by {(K3s.Vip == VipProvider.KubeVip ? "kube-vip" : "keepalived + HAProxy")}, {inventory.Servers.Count()} servers, {inventory.Nodes.Count(n => n.Role == NodeRole.Agent)} agents{(inventory.LoadBalancers.Any() ? $", {inventory.LoadBalancers.Count()} load-balancer nodes" : string.Empty)}{(inventory.ExternalEtcd ? $", external etcd on {inventory.EtcdNodes.Count()} nodes" : string.Empty)}.", steps);
    }

    /// <summary>
    /// A dedicated load balancer: the same HAProxy and keepalived files the servers get in the on-server shape, and
    /// nothing of K3s.
    /// </summary>
    private IEnumerable<PlanStep> LoadBalancerSteps(NodeSpec node)
    {
        yield return new RunStep(node.Name, "Preflight", Preflight(node), Check: true);
        foreach (var step in HaProxyAndKeepalived(node))
        {
            yield return step;
        }
    }

    /// <summary>An external etcd member: etcd and etcdctl, its certificates, its settings and unit, started.</summary>
    private IEnumerable<PlanStep> EtcdSteps(NodeSpec node)
    {
        yield return new RunStep(node.Name, "Preflight", Preflight(node), Check: true);
        yield return Upload(node, ArtifactSet.Etcd, "/usr/local/bin/etcd", "0755");
        yield return Upload(node, ArtifactSet.Etcdctl, "/usr/local/bin/etcdctl", "0755");
        var pki = K3sManifests.EtcdPkiDirectory;
        yield return new WriteStep(node.Name, "etcd's CA", $"{pki}/ca.crt", string.Empty, "0644", EtcdPki.Source("ca.crt"));
        yield return new WriteStep(node.Name, "The member's certificate (server and peer)", $"{pki}/member.crt", string.Empty, "0644", EtcdPki.Source($"member-{node.Name}.crt"));
        yield return new WriteStep(node.Name, "The member's key", $"{pki}/member.key", string.Empty, "0600", EtcdPki.Source($"member-{node.Name}.key"));
        yield return new WriteStep(node.Name, "etcdctl's client certificate", $"{pki}/client.crt", string.Empty, "0644", EtcdPki.Source("client.crt"));
        yield return new WriteStep(node.Name, "etcdctl's client key", $"{pki}/client.key", string.Empty, "0600", EtcdPki.Source("client.key"));
        yield return new WriteStep(node.Name, "etcd's settings", K3sManifests.EtcdEnvironmentPath, manifests.EtcdEnvironment(node), "0644");
        yield return new WriteStep(node.Name, "etcd's unit", "/etc/systemd/system/etcd.service", manifests.EtcdUnit(), "0644");
        yield return new RunStep(node.Name, "Start etcd", $"mkdir -p {K3sManifests.EtcdDataDirectory} && chmod 700 {K3sManifests.EtcdDataDirectory} && systemctl enable etcd && systemctl restart etcd",
            Unless: "systemctl is-active --quiet etcd");
    }

    private IEnumerable<PlanStep> HaProxyAndKeepalived(NodeSpec node)
    {
        yield return new WriteStep(node.Name, "HAProxy in front of the API servers", "/etc/haproxy/haproxy.cfg", manifests.HaProxy(), "0644");
        yield return new WriteStep(node.Name, "keepalived for the control-plane VIP", "/etc/keepalived/keepalived.conf", manifests.Keepalived(node), "0644");
        yield return new RunStep(node.Name, "Start HAProxy and keepalived", "systemctl enable haproxy keepalived && systemctl restart haproxy keepalived", Unless: "systemctl is-active --quiet haproxy && systemctl is-active --quiet keepalived");
    }

    /// <summary>The reset plan: K3s's uninstall scripts, agents first, then ChaosEdge's own files and Longhorn's data.</summary>
    public ProvisionPlan Reset()
    {
        var steps = new List<PlanStep>();
        foreach (var node in inventory.Nodes.Where(n => n.Role == NodeRole.Agent).Concat(inventory.Servers.Reverse()))
        {
            var command = "if [ -x /usr/local/bin/k3s-uninstall.sh ]; then /usr/local/bin/k3s-uninstall.sh; elif [ -x /usr/local/bin/k3s-agent-uninstall.sh ]; then /usr/local/bin/k3s-agent-uninstall.sh; fi"
                + $"; rm -rf {InstallDirectory} /etc/rancher/k3s /usr/local/bin/etcdctl";
            if (K3s.Longhorn is { } longhorn)
            {
                command += $"; rm -rf {longhorn.DataPath}";
            }

            if (K3s.Vip == VipProvider.Keepalived && node.Role == NodeRole.Server && !inventory.LoadBalancers.Any())
            {
                command += "; systemctl disable --now keepalived haproxy 2>/dev/null; rm -f /etc/keepalived/keepalived.conf /etc/haproxy/haproxy.cfg";
            }

            steps.Add(new RunStep(node.Name, "Uninstall K3s and remove ChaosEdge's files", command, Unless: "! test -e /usr/local/bin/k3s -o -e /etc/rancher/k3s -o -e /var/lib/rancher/k3s"));
        }

        foreach (var node in inventory.EtcdNodes)
        {
            steps.Add(new RunStep(node.Name, "Stop etcd and remove it, its files and its data",
                // The member's data, not its directory: that is often a mount point of its own (a disk for etcd).
                $"systemctl disable --now etcd 2>/dev/null; rm -rf {K3sManifests.EtcdDataDirectory}/member /etc/etcd /etc/systemd/system/etcd.service /usr/local/bin/etcd /usr/local/bin/etcdctl",
                Unless: $"! test -e /etc/etcd -o -e {K3sManifests.EtcdDataDirectory}/member -o -e /usr/local/bin/etcd"));
        }

        foreach (var node in inventory.LoadBalancers)
        {
            steps.Add(new RunStep(node.Name, "Stop keepalived and HAProxy and remove their files", "systemctl disable --now keepalived haproxy 2>/dev/null; rm -f /etc/keepalived/keepalived.conf /etc/haproxy/haproxy.cfg",
                Unless: "! test -e /etc/keepalived/keepalived.conf -o -e /etc/haproxy/haproxy.cfg"));
        }

        return new ProvisionPlan($"Reset plan for cluster '{inventory.ClusterName}': everything K3s and ChaosEdge installed is removed, data included.", steps);
    }

    private IEnumerable<PlanStep> NodeSteps(NodeSpec node, string tokenSource)
    {
        var server = node.Role == NodeRole.Server;
        var unit = server ? "k3s" : "k3s-agent";
        yield return new RunStep(node.Name, "Preflight", Preflight(node), Check: true);
        if (K3s.Install == K3sInstallSource.Airgap)
        {
            yield return Upload(node, ArtifactSet.K3sBinary, "/usr/local/bin/k3s", "0755");
            yield return Upload(node, ArtifactSet.InstallScript, $"{InstallDirectory}/install.sh", "0755");
            foreach (var images in artifacts.Required.Where(a => a.Contains("images", StringComparison.Ordinal)))
            {
                yield return Upload(node, images, $"{ImagesDirectory}/{images}", "0644");
            }
        }

        if (server && !inventory.ExternalEtcd)
        {
            yield return Upload(node, ArtifactSet.Etcdctl, "/usr/local/bin/etcdctl", "0755");
        }

        if (server && inventory.ExternalEtcd)
        {
            yield return new WriteStep(node.Name, "The external etcd's CA", $"{K3sManifests.DatastoreDirectory}/ca.crt", string.Empty, "0644", EtcdPki.Source("ca.crt"));
            yield return new WriteStep(node.Name, "The datastore client certificate", $"{K3sManifests.DatastoreDirectory}/client.crt", string.Empty, "0644", EtcdPki.Source("client.crt"));
            yield return new WriteStep(node.Name, "The datastore client key", $"{K3sManifests.DatastoreDirectory}/client.key", string.Empty, "0600", EtcdPki.Source("client.key"));
        }

        yield return new WriteStep(node.Name, "Cluster token", K3sManifests.TokenPath, string.Empty, "0600", tokenSource);
        yield return new WriteStep(node.Name, "K3s configuration", ConfigPath, manifests.Config(node), "0600");
        if (server)
        {
            yield return new WriteStep(node.Name, "Skip K3s's single-replica CoreDNS", $"{K3sManifests.ManifestsDirectory}/coredns.yaml.skip", "# ChaosEdge deploys chaosedge-coredns.yaml instead (the inventory's DNS shape).\n", "0644");
            yield return new WriteStep(node.Name, "CoreDNS in the inventory's shape (auto-deployed by K3s)", $"{K3sManifests.ManifestsDirectory}/chaosedge-coredns.yaml", manifests.CoreDns(), "0644");
            if (K3s.Vip == VipProvider.KubeVip)
            {
                yield return new WriteStep(node.Name, "kube-vip RBAC and DaemonSet (auto-deployed by K3s)", $"{K3sManifests.ManifestsDirectory}/chaosedge-kube-vip.yaml", manifests.KubeVip(), "0644");
            }
            else if (!inventory.LoadBalancers.Any())
            {
                foreach (var step in HaProxyAndKeepalived(node))
                {
                    yield return step;
                }
            }
        }

        var exec = server ? "server" : "agent";
        var install = K3s.Install == K3sInstallSource.Airgap
            ? $"INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC={exec} sh {InstallDirectory}/install.sh"
            : $"curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='{K3s.Version}' INSTALL_K3S_EXEC={exec} sh -";
        yield return new RunStep(node.Name, $"Install and start K3s ({exec})", install,
            Unless: $"systemctl is-active --quiet {unit} && /usr/local/bin/k3s --version | grep -qF 'k3s version {K3s.Version} '");
        if (server && inventory.ExternalEtcd)
        {
            yield return new WaitStep(node.Name, "Ready",
                $"/usr/local/bin/k3s kubectl get node {node.Name} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}' | grep -qx True",
                TimeSpan.FromMinutes(5));
        }
        else if (server)
        {
            yield return new WaitStep(node.Name, "Ready, and its etcd member healthy",
                $"/usr/local/bin/k3s kubectl get node {node.Name} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}' | grep -qx True"
                + $" && ETCDCTL_API=3 etcdctl --endpoints=https://{node.Address}:2379 {EtcdProbe.K3sEtcdctlFlags} --command-timeout=3s endpoint health",
                TimeSpan.FromMinutes(5));
        }
        else
        {
            yield return new WaitStep(node.Name, "The agent runs", "systemctl is-active --quiet k3s-agent", TimeSpan.FromMinutes(3));
        }
    }

    private UploadStep Upload(NodeSpec node, string artifact, string remote, string mode) =>
        new(node.Name, $"Artifact {artifact}", artifact, remote, artifacts.ExpectedSha256(artifact) ?? "(not listed yet)", mode);

    private string Preflight(NodeSpec node)
    {
        if (node.Role == NodeRole.Etcd)
        {
            return "e=0; for p in sha256sum systemctl; do command -v $p >/dev/null || { echo \"program $p is not installed\"; e=1; }; done"
                + "; systemctl is-active --quiet etcd || ! ss -Hltn | awk '{print $4}' | grep -qE ':(2379|2380)$' || { echo 'ports etcd needs (2379, 2380) are in use by something else'; e=1; }; exit $e";
        }

        if (node.Role == NodeRole.LoadBalancer)
        {
            var port = inventory.ControlPlane.Port;
            return "e=0; for p in keepalived haproxy killall systemctl; do command -v $p >/dev/null || { echo \"program $p is not installed\"; e=1; }; done"
                + $"; systemctl is-active --quiet haproxy || ! ss -Hltn | awk '{{print $4}}' | grep -qE ':{port}$' || {{ echo 'port {port} (the HAProxy frontend of the VIP) is in use by something else'; e=1; }}; exit $e";
        }

        var programs = new List<string> { "curl", "sha256sum", "systemctl" };
        var checks = new List<string>();
        if (K3s.Longhorn is { } longhorn)
        {
            programs.AddRange(["iscsiadm", "mount.nfs4", "findmnt", "blkid", "lsblk"]);
            checks.Add("systemctl is-active --quiet iscsid || { echo 'iscsid is not running (Longhorn needs open-iscsi)'; e=1; }");
            checks.Add("for m in iscsi_tcp dm_crypt nfs; do modprobe -n $m 2>/dev/null || { echo \"kernel module $m is not available (Longhorn)\"; e=1; }; done");
            checks.Add($"mkdir -p {longhorn.DataPath} && [ $(df -Pk {longhorn.DataPath} | awk 'NR==2 {{print $4}}') -ge 10485760 ] || {{ echo 'less than 10 GiB free under {longhorn.DataPath} (Longhorn replicas)'; e=1; }}");
        }

        if (K3s.Vip == VipProvider.Keepalived && node.Role == NodeRole.Server && !inventory.LoadBalancers.Any())
        {
            programs.AddRange(["keepalived", "haproxy"]);
        }

        checks.Insert(0, $"for p in {string.Join(' ', programs)}; do command -v $p >/dev/null || {{ echo \"program $p is not installed\"; e=1; }}; done");
        checks.Add("systemctl is-active --quiet k3s || systemctl is-active --quiet k3s-agent || ! ss -Hltn | awk '{print $4}' | grep -qE ':(6443|2379|2380|10250)$' || { echo 'ports K3s needs (6443, 2379, 2380, 10250) are in use by something else'; e=1; }");
        return "e=0; " + string.Join("; ", checks) + "; exit $e";
    }
}
