using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>The default probes for a lab, at their default cadences.</summary>
public static class ProbeSet
{
    /// <summary>
    /// <c>vip-tcp</c> (a new TCP connection to the control-plane VIP every 10 ms), <c>api-readyz-fresh</c> and
    /// <c>api-readyz-long</c> (<c>/readyz</c> through the VIP every 100 ms on new connections and on one long-lived HTTP/2
    /// connection, the CA from <paramref name="kubeConfig"/>), when given <c>service-vip-tcp</c> to the service VIP, and
    /// with shells to the servers <c>vip-owner</c> (which servers carry the control-plane VIP, every 10 ms) and <c>etcd</c>
    /// (members answering and the leader, every 500 ms).
    /// </summary>
    public static IReadOnlyList<IProbe> Default(LabInventory inventory, KubeConfig? kubeConfig, IPEndPoint? serviceEndpoint = null, IReadOnlyDictionary<string, INodeShell>? shells = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var vip = inventory.ControlPlane;
        var probes = new List<IProbe> { new TcpConnectProbe("vip-tcp", new IPEndPoint(vip.Vip, vip.Port)) };
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
            probes.Add(new VipOwnerProbe("vip-owner", vip.Vip, [.. inventory.Servers.Select(n => (shells[n.Name], n.Interface))]));
            var first = inventory.Servers.First();
            probes.Add(new EtcdProbe("etcd", shells[first.Name], [.. inventory.Servers.Select(n => (n.Name, $"https://{n.Address}:2379"))]));
        }

        return probes;
    }
}
