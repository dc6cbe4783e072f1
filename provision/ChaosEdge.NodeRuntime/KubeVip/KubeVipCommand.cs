using System.Collections;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.KubeVip;

/// <summary><c>k3s kube-vip manager</c>: what the lab's kubelet runs for a kube-vip container (see <see cref="KubeVipModel"/>).</summary>
internal static class KubeVipCommand
{
    public static async Task<int> RunAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] != "manager")
        {
            throw new ArgumentException($"kube-vip: the lab models 'kube-vip manager' only, not '{string.Join(' ', args)}'.");
        }

        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty, StringComparer.Ordinal);
        var config = KubeVipConfig.FromEnvironment(environment);
        var kubeconfig = InCluster.Config("kube-vip");
        // kube-vip's REST client times a request out after 10 s (pkg/k8s/client.go, defaultTimeout); a leader's renewals
        // are cut shorter by the renew deadline.
        using var client = new KubeClient(kubeconfig, TimeSpan.FromSeconds(10));
        return await new KubeVipModel(config, client, loggers.CreateLogger("kube-vip"), TimeProvider.System).RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
