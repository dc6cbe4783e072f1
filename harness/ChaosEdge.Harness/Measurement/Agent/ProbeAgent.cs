using System.Globalization;
using System.Security.Cryptography;
using ChaosEdge.Errors;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Agent;

/// <summary>
/// The node-side probe agent (<c>ce-agent</c>, a static C binary embedded in the harness for linux-x64 and
/// linux-arm64): its placement on a node, verified by SHA-256, and its end. It needs nothing on the node but the kernel.
/// </summary>
public static class ProbeAgent
{
    private static readonly Dictionary<string, string> Architectures = new(StringComparer.Ordinal)
    {
        ["x86_64"] = "linux-x64", ["amd64"] = "linux-x64", ["aarch64"] = "linux-arm64", ["arm64"] = "linux-arm64",
    };

    /// <summary>Where the agent is placed on a node.</summary>
    public const string NodeDirectory = "/usr/local/lib/chaosedge";

    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> Builds = new(LoadBuilds);

    // Each build's content-addressed path and SHA-256, computed once: EnsureAsync runs for every probe on every node.
    private static readonly Lazy<IReadOnlyDictionary<string, (string Path, string Sha)>> Placements = new(() =>
        Builds.Value.ToDictionary(b => b.Key, b => Sha(b.Value) is var sha ? (Path: $"{NodeDirectory}/ce-agent-{sha[..16]}", Sha: sha) : default, StringComparer.Ordinal));

    /// <summary>The agent builds this harness carries, by runtime identifier (<c>linux-x64</c>, <c>linux-arm64</c>).</summary>
    public static IReadOnlyDictionary<string, byte[]> Binaries => Builds.Value;

    /// <summary>
    /// Makes sure the agent for the node's architecture is at its content-addressed path
    /// (<c>/usr/local/lib/chaosedge/ce-agent-SHA256PREFIX</c>, where K3s keeps its own binaries: hardened nodes mount
    /// <c>/tmp</c> noexec) and returns that path. One command when it is already there; otherwise it is
    /// uploaded beside it over the node's SSH connection, checked by SHA-256 on the node, and only then moved into place.
    /// </summary>
    public static async Task<string> EnsureAsync(INodeShell shell, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var paths = Placements.Value;
        // One command when the agent is in place: the node's architecture and the checksum of what is there.
        var probe = await shell.RunAsync(
            $"uname -m; sha256sum {string.Join(' ', paths.Values.Select(p => p.Path))} 2>/dev/null; true", cancellationToken: cancellationToken).ConfigureAwait(false);
        var lines = probe.EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var machine = lines.FirstOrDefault() ?? string.Empty;
        if (!Architectures.TryGetValue(machine, out var rid))
        {
            throw new PrerequisiteMissingException($"Node '{shell.NodeName}' is a '{machine}' machine; the probe agent is built for x86_64 and aarch64 only.");
        }

        if (!paths.TryGetValue(rid, out var target))
        {
            throw new PrerequisiteMissingException(
                $"Node '{shell.NodeName}' is a '{machine}' machine, and this harness was built without the {rid} probe agent: install Debian's 'gcc-aarch64-linux-gnu' and build the harness again.");
        }

        var (path, sha) = target;
        if (lines.Skip(1).Any(l => l == $"{sha}  {path}"))
        {
            return path;
        }

        var binary = Binaries[rid];
        var local = Path.Combine(Path.GetTempPath(), $"ce-agent-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var staging = $"{path}.{Guid.NewGuid():N}";
        try
        {
            await File.WriteAllBytesAsync(local, binary, cancellationToken).ConfigureAwait(false);
            await shell.RunCheckedAsync($"mkdir -p {NodeDirectory}", cancellationToken: cancellationToken).ConfigureAwait(false);
            await shell.UploadAsync(local, staging, cancellationToken).ConfigureAwait(false);
            var result = await shell.RunAsync(
                $"chmod 0755 {staging} && [ \"$(sha256sum {staging} | cut -c1-64)\" = {sha} ] && mv -f {staging} {path} || {{ rm -f {staging}; exit 3; }}",
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new NodeCommandFailedException(shell.NodeName, result.Command, result.ExitCode, result.Stdout, result.Stderr, $"The probe agent uploaded to node '{shell.NodeName}' did not have the SHA-256 '{sha}' on the node.");
            }
        }
        finally
        {
            File.Delete(local);
        }

        return path;
    }

    /// <summary>
    /// Ends an agent's process group: TERM, a wait of up to 2 s, then KILL, so no agent outlives its probe. (dash's kill
    /// takes a process group only as <c>kill -s SIGNAL -- -GROUP</c>.)
    /// </summary>
    public static async Task StopAsync(INodeShell shell, long processGroup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var g = processGroup.ToString(CultureInfo.InvariantCulture);
        await shell.RunAsync(
            $"kill -s TERM -- -{g} 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kill -s 0 -- -{g} 2>/dev/null || exit 0; sleep 0.1; done; kill -s KILL -- -{g} 2>/dev/null; true",
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string Sha(byte[] binary) => Convert.ToHexStringLower(SHA256.HashData(binary));

    private static IReadOnlyDictionary<string, byte[]> LoadBuilds()
    {
        var builds = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var rid in new[] { "linux-x64", "linux-arm64" })
        {
            using var resource = typeof(ProbeAgent).Assembly.GetManifestResourceStream($"ChaosEdge.Measurement.Agent.ce-agent.{rid}");
            if (resource is not null)
            {
                using var copy = new MemoryStream();
                resource.CopyTo(copy);
                builds[rid] = copy.ToArray();
            }
        }

        return builds;
    }
}
