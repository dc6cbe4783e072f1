using System.Security.Cryptography;
using ChaosEdge.Inventory;

namespace ChaosEdge.Provision.K3s;

/// <summary>
/// The artifacts directory of an air-gapped install: which files a cluster needs, their expected SHA-256 (from the
/// K3s release's <c>sha256sum-amd64.txt</c> and the directory's own <c>SHA256SUMS</c>), and whether each is present and intact.
/// </summary>
public sealed class ArtifactSet
{
    public const string K3sBinary = "k3s";
    public const string InstallScript = "install.sh";
    public const string K3sImages = "k3s-airgap-images-amd64.tar.zst";
    public const string Etcdctl = "etcdctl";

    /// <summary>etcd itself (the same release as etcdctl), for an external etcd cluster's nodes.</summary>
    public const string Etcd = "etcd";
    public const string KubeVipImages = "kube-vip-images.tar";
    public const string MetalLbManifest = "metallb-native.yaml";
    public const string MetalLbImages = "metallb-images.tar";
    public const string LonghornManifest = "longhorn.yaml";
    public const string LonghornImages = "longhorn-images.tar";

    private readonly Dictionary<string, string> expected;

    private ArtifactSet(string directory, IReadOnlyList<string> required, Dictionary<string, string> expected)
    {
        Directory = directory;
        Required = required;
        this.expected = expected;
    }

    public string Directory { get; }

    /// <summary>The artifacts this inventory needs, in install order.</summary>
    public IReadOnlyList<string> Required { get; }

    /// <summary>The artifacts an inventory needs: K3s and its images when air-gapped, etcdctl (and etcd for etcd nodes), MetalLB, Longhorn when set, kube-vip's image.</summary>
    public static IReadOnlyList<string> RequiredFor(LabInventory inventory)
    {
        var k3s = inventory.K3s ?? throw new Errors.ChaosEdgeException($"Inventory '{inventory.SourcePath}' has no k3s: block.");
        var list = new List<string>();
        var airgap = k3s.Install == K3sInstallSource.Airgap;
        if (airgap)
        {
            list.AddRange([K3sBinary, InstallScript, K3sImages]);
        }

        list.Add(Etcdctl);
        if (inventory.ExternalEtcd)
        {
            list.Add(Etcd);
        }

        if (airgap && k3s.Vip == VipProvider.KubeVip)
        {
            list.Add(KubeVipImages);
        }

        list.Add(MetalLbManifest);
        if (airgap)
        {
            list.Add(MetalLbImages);
        }

        if (k3s.Longhorn is not null)
        {
            list.Add(LonghornManifest);
            if (airgap)
            {
                list.Add(LonghornImages);
            }
        }

        return list;
    }

    /// <summary>Reads the checksum lists of the inventory's artifacts directory (nothing is hashed yet).</summary>
    public static ArtifactSet Open(LabInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var directory = inventory.ArtifactsPath ?? throw new Errors.ChaosEdgeException($"Inventory '{inventory.SourcePath}' names no artifacts directory ('artifacts:'); K3s provisioning needs one (see the README).");
        return Read(directory, RequiredFor(inventory));
    }

    /// <summary>A directory's checksum lists, with nothing required (for plans that name their own artifacts).</summary>
    public static ArtifactSet OpenDirectory(string directory) => Read(directory, []);

    private static ArtifactSet Read(string directory, IReadOnlyList<string> required)
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var list in System.IO.Directory.GetFiles(directory, "sha256sum-*.txt").Order(StringComparer.Ordinal).Append(Path.Combine(directory, "SHA256SUMS")).Where(File.Exists))
        {
            foreach (var line in File.ReadAllLines(list))
            {
                var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && parts[0].Length == 64)
                {
                    expected[parts[1].TrimStart('*')] = parts[0].ToLowerInvariant();
                }
            }
        }

        return new ArtifactSet(directory, required, expected);
    }

    /// <summary>The expected SHA-256 of an artifact, or <c>null</c> when no checksum list names it.</summary>
    public string? ExpectedSha256(string name) => expected.GetValueOrDefault(name);

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>What is wrong with the directory: artifacts missing, unlisted, or whose SHA-256 differs from the list. Empty when all is well.</summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var name in Required)
        {
            var path = PathOf(name);
            if (!File.Exists(path))
            {
                problems.Add($"'{name}' is missing from '{Directory}'.");
                continue;
            }

            if (ExpectedSha256(name) is not { } sha)
            {
                problems.Add($"'{name}' has no checksum: list it in '{Path.Combine(Directory, "SHA256SUMS")}' (sha256sum format) or the K3s release's sha256sum-amd64.txt.");
                continue;
            }

            progress?.Report($"Checking artifact '{name}' ({new FileInfo(path).Length / 1048576.0:0.#} MiB) against its SHA-256");
            await using var stream = File.OpenRead(path);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            if (actual != sha)
            {
                problems.Add($"'{name}' has SHA-256 {actual}, but the checksum list says {sha}: the file is damaged or not the release it claims to be.");
            }
        }

        return problems;
    }
}
