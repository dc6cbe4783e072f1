using System.Text.RegularExpressions;

namespace ChaosEdge.Inventory;

public static partial class InventoryLoader
{
    private sealed partial class Reader
    {
        private ClusterRuntime ReadRuntime(YamlScope? cluster)
        {
            switch (cluster?.Scalar("runtime", required: false))
            {
                case null or "k3s": return ClusterRuntime.K3s;
                case "lab": return ClusterRuntime.Lab;
                case var other:
                    problems.Add(cluster.NodeOf("runtime")!, cluster.FieldPath("runtime"), $"'{other}' is not a runtime; use 'k3s' (real K3s, the default) or 'lab' (the virtual lab's node runtime).");
                    runtimeUnknown = true;
                    return ClusterRuntime.K3s;
            }
        }

        /// <summary>The <c>k3s:</c> block: required for runtime k3s, refused for the lab's runtime.</summary>
        private bool runtimeUnknown;

        private K3sSettings? ReadK3s(YamlScope root, ClusterRuntime runtime, string? artifacts, int apiPort)
        {
            if (runtimeUnknown)
            {
                // Which block is needed depends on the runtime; its own problem says what to fix first.
                root.Optional("k3s");
                return null;
            }

            if (runtime == ClusterRuntime.K3s && root.NodeOf("k3s") is null)
            {
                var at = root.NodeOf("cluster") ?? root.Node;
                problems.Add(at, "k3s", "is required: cluster.runtime is 'k3s' (real K3s, the default), and the k3s: block says which release to install (version: v1.36.1+k3s1, say). An inventory of the virtual lab says cluster.runtime: lab.");
                return null;
            }

            var k3s = root.Mapping("k3s", required: false);
            if (k3s is null)
            {
                return null;
            }

            if (runtime == ClusterRuntime.Lab)
            {
                // The lab's node runtime installs itself; of K3s's block it takes what runs on top of it: the VIP's provider.
                foreach (var key in k3s.Node.Children.Keys.OfType<YamlDotNet.RepresentationModel.YamlScalarNode>().Where(k => k.Value is not ("vip" or "kubeVip")))
                {
                    problems.Add(key, k3s.FieldPath(key.Value!), "is for real K3s; this inventory's cluster.runtime is 'lab' (the virtual lab's node runtime), which takes only k3s.vip and k3s.kubeVip (the control-plane VIP's provider). Remove the key or the runtime.");
                    k3s.Optional(key.Value!);
                }

                var (labVip, labKubeVip) = ReadVip(k3s, 0);
                k3s.RejectUnknownKeys();
                return K3sSettings.ForLab(labVip, labKubeVip);
            }

            var version = k3s.Scalar("version", required: true);
            if (version is not null && !K3sVersion().IsMatch(version))
            {
                problems.Add(k3s.NodeOf("version")!, k3s.FieldPath("version"), $"'{version}' is not a K3s release name (such as 'v1.36.1+k3s1').");
                version = null;
            }

            var install = K3sInstallSource.Airgap;
            switch (k3s.Scalar("install", required: false))
            {
                case null or "airgap": break;
                case "online": install = K3sInstallSource.Online; break;
                case var other:
                    problems.Add(k3s.NodeOf("install")!, k3s.FieldPath("install"), $"'{other}' is not an install source; use 'airgap' (from the artifacts directory, the default) or 'online'.");
                    break;
            }

            if (artifacts is null && root.NodeOf("artifacts") is null)
            {
                problems.Add(root.NodeOf("k3s")!, "artifacts", "real K3s needs the artifacts directory: set 'artifacts:' to the directory holding etcdctl, the MetalLB and Longhorn manifests and, air-gapped, k3s, install.sh, the image tarballs, and their checksums (see the README).");
            }

            var token = k3s.NodeOf("token") is null ? null : ReadSecret(k3s, "token");
            var (vip, kubeVip) = ReadVip(k3s, apiPort);

            LonghornSettings? longhorn = null;
            if (k3s.Mapping("longhorn", required: false) is { } lh)
            {
                var dataPath = lh.Scalar("dataPath", required: false) ?? LonghornSettings.Default.DataPath;
                if (!dataPath.StartsWith('/') || dataPath.Contains("..", StringComparison.Ordinal) || dataPath.Any(char.IsWhiteSpace))
                {
                    problems.Add(lh.NodeOf("dataPath")!, lh.FieldPath("dataPath"), $"'{dataPath}' must be an absolute path on the nodes without '..' or spaces.");
                }

                longhorn = new LonghornSettings(ReadInt(lh, "replicas", LonghornSettings.Default.Replicas, 1, 20), dataPath);
                lh.RejectUnknownKeys();
            }

            var sample = k3s.Scalar("sampleImage", required: false) ?? K3sSettings.DefaultSampleImage;
            k3s.RejectUnknownKeys();
            return version is null ? null : new K3sSettings(version, install, token, vip, kubeVip, longhorn, sample);
        }

        /// <summary><c>k3s.vip</c> and <c>k3s.kubeVip</c>; <paramref name="apiPort"/> 0 when no HAProxy shares the servers with K3s (the lab, or dedicated load-balancer nodes).</summary>
        private (VipProvider Vip, KubeVipSettings KubeVip) ReadVip(YamlScope k3s, int apiPort)
        {
            var vip = VipProvider.KubeVip;
            switch (k3s.Scalar("vip", required: false))
            {
                case null or "kube-vip": break;
                case "keepalived":
                    vip = VipProvider.Keepalived;
                    if (apiPort == 6443)
                    {
                        problems.Add(k3s.NodeOf("vip")!, k3s.FieldPath("vip"), "keepalived + HAProxy runs HAProxy on the servers next to K3s's API server, which holds port 6443 on every address: set controlPlane.port to another port (16443, say) for HAProxy's frontend on the VIP.");
                    }

                    break;
                case var other:
                    problems.Add(k3s.NodeOf("vip")!, k3s.FieldPath("vip"), $"'{other}' is not a VIP provider; use 'kube-vip' (the default) or 'keepalived' (keepalived + HAProxy).");
                    break;
            }

            var kubeVip = KubeVipSettings.Default;
            if (k3s.Mapping("kubeVip", required: false) is { } kv)
            {
                kubeVip = new KubeVipSettings(
                    kv.Scalar("image", required: false) ?? kubeVip.Image,
                    ReadDuration(kv, "leaseDuration", kubeVip.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
                    ReadDuration(kv, "renewDeadline", kubeVip.RenewDeadline, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
                    ReadDuration(kv, "retryPeriod", kubeVip.RetryPeriod, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));
                if (kubeVip.RenewDeadline >= kubeVip.LeaseDuration || kubeVip.RenewDeadline.TotalSeconds <= 1.2 * kubeVip.RetryPeriod.TotalSeconds)
                {
                    // client-go's leader election (which kube-vip uses) refuses these, and kube-vip would crash-loop on every node.
                    problems.Add(kv.Node, kv.Path, $"leader election needs leaseDuration > renewDeadline > 1.2 x retryPeriod (now {kubeVip.LeaseDuration.TotalSeconds:0.#}s, {kubeVip.RenewDeadline.TotalSeconds:0.#}s, {kubeVip.RetryPeriod.TotalSeconds:0.#}s); client-go's leader election refuses anything else.");
                }

                kv.RejectUnknownKeys();
            }

            return (vip, kubeVip);
        }

        [GeneratedRegex(@"^v1\.[0-9]+\.[0-9]+(-rc[0-9]+)?\+k3s[0-9]+$")]
        private static partial Regex K3sVersion();
    }
}
