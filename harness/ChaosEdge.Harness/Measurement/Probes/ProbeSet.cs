using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>The default probes for a lab, at their default cadences.</summary>
public static class ProbeSet
{
    /// <summary>The cluster DNS service IP of the lab cluster (K3s's default is 10.43.0.10).</summary>

    /// <summary>
    /// <c>vip-tcp</c> (a new TCP connection to the control-plane VIP every 10 ms), <c>vip-icmp</c> (an echo every 100 ms), <c>api-readyz-fresh</c> and
    /// <c>api-readyz-long</c> (<c>/readyz</c> through the VIP every 100 ms on new connections and on one long-lived HTTP/2
    /// connection, the CA from <paramref name="kubeConfig"/>), when given <c>service-vip-tcp</c> to the service VIP, and
    /// with shells to the servers <c>vip-owner</c> (which servers carry the control-plane VIP, every 10 ms) and <c>etcd</c>
    /// (members answering and the leader, every 500 ms), and <c>dns-NODE</c> from every node with a shell (the node-side
    /// agent querying the cluster DNS service every 100 ms). Whatever runs on the nodes ends by itself after
    /// <paramref name="agentLifetime"/> (default 1 hour) even if the harness dies. Nodes in <paramref name="faultedNodes"/>
    /// get no node-side DNS probe, and the etcd status is asked on a server not among them.
    /// </summary>
    public static IReadOnlyList<IProbe> Default(LabInventory inventory, KubeConfig? kubeConfig, IPEndPoint? serviceEndpoint = null, IReadOnlyDictionary<string, INodeShell>? shells = null, TimeSpan? agentLifetime = null, IReadOnlyCollection<string>? faultedNodes = null)
    {
        faultedNodes ??= [];
        ArgumentNullException.ThrowIfNull(inventory);
        var vip = inventory.ControlPlane;
        var probes = new List<IProbe> { new TcpConnectProbe("vip-tcp", new IPEndPoint(vip.Vip, vip.Port)), new IcmpProbe("vip-icmp", vip.Vip) };
        if (kubeConfig is not null)
        {
            var readyz = new Uri($"https://{vip.Vip}:{vip.Port}/readyz");
            var ca = kubeConfig.CertificateAuthority();
            probes.Add(new HttpProbe("api-readyz-fresh", readyz, ca, HttpConnectionMode.Fresh));
            probes.Add(new HttpProbe("api-readyz-long", readyz, ca, HttpConnectionMode.LongLived));
        }

        if (serviceEndpoint is not null)
        {
            probes.Add(new TcpConnectProbe("service-vip-tcp", serviceEndpoint));
        }

        if (shells is not null)
        {
            probes.Add(new VipOwnerProbe("vip-owner", vip.Vip, [.. inventory.VipCarriers.Select(n => (shells[n.Name], n.Interface))], maxLifetime: agentLifetime));
            // A node-side probe on a node that is about to lose power or its network measures nothing but the fault.
            // Load-balancer nodes are not Kubernetes nodes: no kube-proxy routes the DNS service's address there.
            foreach (var node in inventory.ClusterNodes.Where(n => shells.ContainsKey(n.Name) && !faultedNodes.Contains(n.Name)))
            {
                probes.Add(new DnsAgentProbe($"dns-{node.Name}", shells[node.Name], inventory.Cluster.DnsServiceIp, maxLifetime: agentLifetime));
            }

            var first = inventory.EtcdMembers.FirstOrDefault(s => !faultedNodes.Contains(s.Name)) ?? inventory.EtcdMembers.First();
            probes.Add(EtcdProbe.For("etcd", inventory, shells[first.Name]));
        }

        return probes;
    }
}
