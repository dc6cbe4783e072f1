using System.Diagnostics;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// <c>k3s kubectl</c> (and <c>kubectl</c> when it is the symlink K3s's install script makes): K3s embeds kubectl and
/// points it at <c>/etc/rancher/k3s/k3s.yaml</c> unless <c>KUBECONFIG</c> is set. The lab runs the node's real kubectl
/// with the same default.
/// </summary>
internal static class K3sKubectl
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var kubectl = Kubectl() ?? throw new ArgumentException("kubectl: no kubectl is installed on this node (the lab uses the host's, Debian's kubernetes-client).");
        var start = new ProcessStartInfo(kubectl) { UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBECONFIG")))
        {
            start.Environment["KUBECONFIG"] = "/etc/rancher/k3s/k3s.yaml";
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>The first kubectl on PATH that is not K3s's own symlink to this binary.</summary>
    private static string? Kubectl()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "kubectl");
            if (!File.Exists(candidate))
            {
                continue;
            }

            var target = new FileInfo(candidate).LinkTarget;
            if (target is null || !Path.GetFileName(target).StartsWith("k3s", StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
