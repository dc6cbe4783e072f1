using System.Globalization;
using System.Net;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary><c>k3s metallb-speaker</c> and <c>k3s metallb-controller</c>: what the lab's kubelet runs for MetalLB's images.</summary>
internal static class MetalLbCommands
{
    public static async Task<int> RunSpeakerAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        _ = args;
        string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new ArgumentException($"metallb speaker: {name} is not set (the speaker DaemonSet sets it).");
        var node = Env("METALLB_NODE_NAME");
        var host = IPAddress.TryParse(Env("METALLB_HOST"), out var address) ? address : throw new ArgumentException("metallb speaker: METALLB_HOST is not an IP address.");
        var port = int.TryParse(Environment.GetEnvironmentVariable("METALLB_ML_BIND_PORT"), CultureInfo.InvariantCulture, out var p) ? p : 7946;
        var labels = Environment.GetEnvironmentVariable("METALLB_ML_LABELS") is { Length: > 0 } l ? l : "app=metallb,component=speaker";
        var ns = Environment.GetEnvironmentVariable("METALLB_ML_NAMESPACE") is { Length: > 0 } n ? n : File.ReadAllText(Path.Combine(InCluster.ServiceAccountPath, "namespace")).Trim();
        using var client = new KubeClient(InCluster.Config("metallb speaker"), TimeSpan.FromSeconds(10));
        await new SpeakerModel(client, node, host, port, labels, ns, loggers.CreateLogger("speaker"), TimeProvider.System).RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> RunControllerAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        _ = args;
        var ns = Environment.GetEnvironmentVariable("METALLB_NAMESPACE") is { Length: > 0 } n ? n : File.ReadAllText(Path.Combine(InCluster.ServiceAccountPath, "namespace")).Trim();
        using var client = new KubeClient(InCluster.Config("metallb controller"), TimeSpan.FromSeconds(10));
        await new ControllerModel(client, ns, loggers.CreateLogger("controller")).RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
