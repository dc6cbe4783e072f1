using System.Text.Json.Nodes;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// What the lab's kubelet runs for a container. The lab runs commands, not images: a container with a <c>command</c>
/// runs it (with its <c>args</c>); a container without one runs the lab's model of its image, if the lab has one, with
/// the container's <c>args</c> — the image's entrypoint, as a container runtime would. A manifest written for the real
/// component (the kube-vip DaemonSet ChaosEdge generates for K3s) therefore runs unchanged.
/// </summary>
public static class LabImages
{
    /// <summary>The images the lab models (repository, without tag), and the node runtime's command that models each.</summary>
    private static readonly (string Repository, string Model, string Description)[] Models =
    [
        ("ghcr.io/kube-vip/kube-vip", "kube-vip", "kube-vip (ARP mode, leader election on a Lease)"),
        ("docker.io/plndr/kube-vip", "kube-vip", "kube-vip (ARP mode, leader election on a Lease)"),
        ("plndr/kube-vip", "kube-vip", "kube-vip (ARP mode, leader election on a Lease)"),
        ("quay.io/metallb/speaker", "metallb-speaker", "MetalLB's speaker (layer 2, memberlist)"),
        ("quay.io/metallb/controller", "metallb-controller", "MetalLB's controller (address assignment)"),
        ("rancher/mirrored-coredns-coredns", "coredns", "CoreDNS (cluster DNS)"),
        ("docker.io/rancher/mirrored-coredns-coredns", "coredns", "CoreDNS (cluster DNS)"),
        ("registry.k8s.io/coredns/coredns", "coredns", "CoreDNS (cluster DNS)"),
        ("coredns/coredns", "coredns", "CoreDNS (cluster DNS)"),
    ];

    /// <summary>
    /// Images whose commands the lab runs in a root filesystem of the image's own programs instead of the node's: busybox
    /// (Debian's static busybox, its applets linked in the pod's <c>/bin</c>).
    /// </summary>
    private static readonly string[] BusyboxRepositories = ["busybox", "library/busybox", "docker.io/library/busybox", "rancher/mirrored-library-busybox", "docker.io/rancher/mirrored-library-busybox"];

    /// <summary>Whether the container's image is busybox, whose commands the lab runs among busybox's applets (see <see cref="BusyboxRepositories"/>).</summary>
    public static bool IsBusybox(JsonObject? container) => (string?)container?["image"] is { } image && BusyboxRepositories.Contains(Repository(image));

    /// <summary>The repository part of an image reference: <c>ghcr.io/kube-vip/kube-vip:v1.2.3</c> → <c>ghcr.io/kube-vip/kube-vip</c>.</summary>
    public static string Repository(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? image[..at] : image;
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }

    /// <summary>Whether the lab can run <paramref name="container"/>.</summary>
    public static bool CanRun(JsonObject? container) => CommandOf(container) is not null;

    /// <summary>The command line to run for the container, or <c>null</c> when the lab cannot run it (<see cref="Problem"/> says why).</summary>
    public static List<string>? CommandOf(JsonObject? container)
    {
        static IEnumerable<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(a => (string?)a).OfType<string>();
        if (container is null)
        {
            return null;
        }

        var args = Strings(container["args"]).ToList();
        var command = Strings(container["command"]).ToList();
        if (command.Count > 0)
        {
            return [.. command, .. args];
        }

        var image = (string?)container["image"];
        var model = image is null ? null : Models.FirstOrDefault(m => m.Repository == Repository(image)).Model;
        return model is null ? null : ["/usr/local/bin/k3s", model, .. args];
    }

    /// <summary>Why the lab cannot run the container: one sentence naming the image and what the lab can run.</summary>
    public static string Problem(JsonObject? container) =>
        $"container '{(string?)container?["name"]}' (image '{(string?)container?["image"]}') has no command, and the lab runs commands, not images; "
        + $"without a command it models only {string.Join(", ", Models.Select(m => $"{m.Repository} ({m.Description})").Distinct())}; with one it runs any image's command, busybox's among busybox's applets.";

    /// <summary>
    /// Every container of every pod (or pod template) in <paramref name="objects"/> the lab cannot run, one sentence each
    /// naming <paramref name="source"/>, the object and the container; empty when the lab can run them all.
    /// </summary>
    public static IReadOnlyList<string> Problems(IEnumerable<JsonObject> objects, string? source)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var problems = new List<string>();
        foreach (var obj in objects)
        {
            var spec = (string?)obj["kind"] == "Pod" ? obj["spec"] : obj["spec"]?["template"]?["spec"] ?? obj["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"];
            foreach (var container in (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>().Where(c => !CanRun(c)))
            {
                problems.Add($"{(source is null ? string.Empty : $"'{source}': ")}{obj["kind"]} '{obj["metadata"]?["name"]}': {Problem(container)}");
            }
        }

        return problems;
    }
}
