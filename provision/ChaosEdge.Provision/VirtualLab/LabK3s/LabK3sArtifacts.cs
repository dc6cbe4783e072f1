using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Provision.VirtualLab.LabK3s;

/// <summary>
/// The artifacts directory of the virtual lab's K3s, in the shape the K3s plan wants of a real release
/// (<see cref="ArtifactSet"/>): <c>k3s</c> (the lab's node runtime packed into one self-extracting executable),
/// <c>install.sh</c> (the lab's install script, which does what K3s's does air-gapped), the image archives (each
/// lists, in a docker-archive <c>manifest.json</c>, the images the lab models: nothing is pulled or imported),
/// <c>etcdctl</c> (the host's), <c>metallb-native.yaml</c> (the lab's stand-in for MetalLB's release manifest), and
/// <c>SHA256SUMS</c> over all of them. Rewritten only when the node runtime changed, so a second <c>lab up</c> changes
/// nothing and provisioning finds every checksum as it was.
/// </summary>
public static class LabK3sArtifacts
{
    private const string StampFile = ".chaosedge-lab-k3s";

    /// <summary>Writes (or keeps) the artifacts in <paramref name="directory"/> for <paramref name="inventory"/>'s needs; returns whether anything was written.</summary>
    public static async Task<bool> EnsureAsync(string directory, LabInventory inventory, string runtimeDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        if (!File.Exists(Path.Combine(runtimeDirectory, "ce-k3s.dll")))
        {
            throw new Errors.ChaosEdgeException($"The node runtime is not built: '{Path.Combine(runtimeDirectory, "ce-k3s.dll")}' is missing. Build the solution first ('dotnet build').");
        }

        var hash = NodeRuntimeFiles.Hash(runtimeDirectory);
        var required = ArtifactSet.RequiredFor(inventory);
        var stamp = Path.Combine(directory, StampFile);
        var wanted = $"{hash} {string.Join(',', required)}";
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp, cancellationToken).ConfigureAwait(false) == wanted
            && required.All(a => File.Exists(Path.Combine(directory, a))))
        {
            return false;
        }

        Directory.CreateDirectory(directory);
        foreach (var artifact in required)
        {
            var path = Path.Combine(directory, artifact);
            switch (artifact)
            {
                case ArtifactSet.K3sBinary:
                    await WriteK3sAsync(path, runtimeDirectory, hash, cancellationToken).ConfigureAwait(false);
                    break;
                case ArtifactSet.InstallScript:
                    await File.WriteAllTextAsync(path, Resource("install.sh"), cancellationToken).ConfigureAwait(false);
                    File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
                    break;
                case ArtifactSet.Etcdctl:
                    File.Copy(HostPrerequisites.Find("etcdctl") ?? throw new Errors.ChaosEdgeException("etcdctl is not installed on this host (Debian's etcd-client); the lab's K3s artifacts take the host's."), path, overwrite: true);
                    break;
                case ArtifactSet.Etcd:
                    File.Copy(HostPrerequisites.Find("etcd") ?? throw new Errors.ChaosEdgeException("etcd is not installed on this host (Debian's etcd-server); the lab's etcd nodes take the host's."), path, overwrite: true);
                    break;
                case ArtifactSet.MetalLbManifest:
                    await File.WriteAllTextAsync(path, ClusterProvisioner.LabMetalLbManifest(), cancellationToken).ConfigureAwait(false);
                    break;
                case ArtifactSet.K3sImages:
                    await WriteImagesAsync(path, [K3sManifests.CoreDnsImage, inventory.K3s!.SampleImage], zstd: true, cancellationToken).ConfigureAwait(false);
                    break;
                case ArtifactSet.KubeVipImages:
                    await WriteImagesAsync(path, [inventory.K3s!.KubeVip.Image], zstd: false, cancellationToken).ConfigureAwait(false);
                    break;
                case ArtifactSet.MetalLbImages:
                    await WriteImagesAsync(path, [$"quay.io/metallb/controller:{ClusterProvisioner.MetalLbVersion}", $"quay.io/metallb/speaker:{ClusterProvisioner.MetalLbVersion}"], zstd: false, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new Errors.ChaosEdgeException($"The virtual lab has no '{artifact}': {(artifact.StartsWith("longhorn", StringComparison.Ordinal) ? "Longhorn's manager, engine and CSI images cannot be modelled by the lab (its storage suite runs on the lab's own runtime: cluster.runtime: lab). Remove k3s.longhorn from the inventory." : "the lab's K3s does not model it.")}");
            }
        }

        var sums = new StringBuilder();
        foreach (var artifact in required)
        {
            await using var stream = File.OpenRead(Path.Combine(directory, artifact));
            sums.Append(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false))).Append("  ").Append(artifact).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "SHA256SUMS"), sums.ToString(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(stamp, wanted, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The self-extracting <c>k3s</c>: a shell header, then the runtime as a gzipped tar (deterministic: sorted, epoch times, root owner).</summary>
    private static async Task WriteK3sAsync(string path, string runtimeDirectory, string hash, CancellationToken cancellationToken)
    {
        var payload = new MemoryStream();
        await using (var gzip = new GZipStream(payload, CompressionLevel.Optimal, leaveOpen: true))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var file in Directory.GetFiles(runtimeDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var entry = new GnuTarEntry(TarEntryType.RegularFile, Path.GetRelativePath(runtimeDirectory, file))
                {
                    ModificationTime = DateTimeOffset.UnixEpoch, Mode = (UnixFileMode)0b110_100_100, Uid = 0, Gid = 0,
                    DataStream = File.OpenRead(file),
                };
                await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                await entry.DataStream.DisposeAsync().ConfigureAwait(false);
            }
        }

        var header = Resource("k3s-header.sh").Replace("@RELEASE@", K3sSettings.LabRelease, StringComparison.Ordinal).Replace("@HASH@", hash[..16], StringComparison.Ordinal);
        // The offset is written with a fixed width, so the header's length does not depend on it.
        var length = Encoding.UTF8.GetByteCount(header.Replace("@OFFSET@", "0000000000", StringComparison.Ordinal));
        header = header.Replace("@OFFSET@", (length + 1).ToString("D10", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await using (var file = File.Create(path))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(header), cancellationToken).ConfigureAwait(false);
            payload.Position = 0;
            await payload.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }

        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    /// <summary>A docker-archive holding only its <c>manifest.json</c>: the image names, with no layers (the lab runs its models of them).</summary>
    private static async Task WriteImagesAsync(string path, IReadOnlyList<string> images, bool zstd, CancellationToken cancellationToken)
    {
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = "chaosedge-lab.json", ["RepoTags"] = new JsonArray([.. images.Select(i => (JsonNode)JsonValue.Create(i)!)]), ["Layers"] = new JsonArray(),
        });
        var tarPath = zstd ? path + ".tar" : path;
        await using (var file = File.Create(tarPath))
        await using (var tar = new TarWriter(file, TarEntryFormat.Gnu, leaveOpen: false))
        {
            foreach (var (name, content) in new[] { ("manifest.json", manifest.ToJsonString()), ("chaosedge-lab.json", "{\"comment\":\"ChaosEdge virtual lab: names only, the lab's kubelet runs its models of these images\"}") })
            {
                var entry = new GnuTarEntry(TarEntryType.RegularFile, name) { ModificationTime = DateTimeOffset.UnixEpoch, Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
                await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        if (zstd)
        {
            var result = await ProcessRunner.RunAsync("zstd", ["-q", "-f", "--rm", "-o", path, tarPath], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new Errors.ChaosEdgeException($"zstd could not compress '{tarPath}': {result.Stderr.Trim()}");
            }
        }
    }

    private static string Resource(string name)
    {
        using var stream = typeof(LabK3sArtifacts).Assembly.GetManifestResourceStream("ChaosEdge.Provision.LabK3s." + name)
            ?? throw new InvalidOperationException($"The lab K3s's '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
