using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// In-cluster configuration, as client-go's <c>rest.InClusterConfig</c> reads it: the API at
/// <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c> (the <c>kubernetes</c> service, balanced by
/// kube-proxy), authenticated with the token and verified with the CA the kubelet mounts at
/// <see cref="ServiceAccountPath"/>. The lab's kubelet mounts its node's credentials there: the lab's API server has one
/// (admin) identity, so RBAC objects are stored but not enforced.
/// </summary>
internal static class InCluster
{
    public const string ServiceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    private static string NodeDirectory(RuntimeOptions options) => Path.Combine(options.DataDir, "agent", "serviceaccount");

    /// <summary>Keeps the node's token and CA where the kubelet copies them from for each pod.</summary>
    public static void WriteNodeCredentials(RuntimeOptions options, string caPem, string token)
    {
        var directory = NodeDirectory(options);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), caPem);
        File.WriteAllText(Path.Combine(directory, "token"), token);
        File.SetUnixFileMode(Path.Combine(directory, "token"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The pod's service-account directory (token, ca.crt, namespace) under <paramref name="podDirectory"/>; returns its path.</summary>
    public static string WritePodFiles(RuntimeOptions options, string podDirectory, string ns)
    {
        var target = Path.Combine(podDirectory, "serviceaccount");
        Directory.CreateDirectory(target);
        var source = NodeDirectory(options);
        foreach (var file in new[] { "ca.crt", "token" })
        {
            if (File.Exists(Path.Combine(source, file)))
            {
                File.Copy(Path.Combine(source, file), Path.Combine(target, file), overwrite: true);
            }
        }

        File.WriteAllText(Path.Combine(target, "namespace"), ns);
        return target;
    }

    /// <summary>The in-cluster configuration of a pod; a clear error when it is not in a pod.</summary>
    public static KubeConfig Config(string program)
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        var token = Path.Combine(ServiceAccountPath, "token");
        var ca = Path.Combine(ServiceAccountPath, "ca.crt");
        if (string.IsNullOrEmpty(host) || !File.Exists(token) || !File.Exists(ca))
        {
            throw new ArgumentException($"{program}: not running in a pod (in-cluster configuration needs KUBERNETES_SERVICE_HOST and {ServiceAccountPath}/token and ca.crt).");
        }

        return new KubeConfig(new Uri($"https://{host}:{port}"), File.ReadAllText(ca), File.ReadAllText(token).Trim());
    }
}
