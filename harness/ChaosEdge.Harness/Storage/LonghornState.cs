using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Storage;

/// <summary>
/// A Longhorn volume as its custom resources describe it (<c>volumes</c>, <c>engines</c>, <c>replicas.longhorn.io</c>,
/// <c>longhorn-system</c>): robustness, where the engine runs, which node holds which replica in which mode, and rebuild
/// progress. The same reading serves a real Longhorn and the virtual lab's volume, which publishes the same subset.
/// </summary>
/// <param name="Volume">The volume's name.</param>
/// <param name="State">attached, detached, …</param>
/// <param name="Robustness">healthy, degraded, faulted or unknown.</param>
/// <param name="EngineNode">The node the engine (and so the block device) is on.</param>
/// <param name="Replicas">Node → the mode of the replica it holds (RW, WO, ERR).</param>
/// <param name="Rebuilding">Node → rebuild progress in percent, for replicas being rebuilt.</param>
public sealed record LonghornState(string Volume, string State, string Robustness, string? EngineNode, IReadOnlyDictionary<string, string> Replicas, IReadOnlyDictionary<string, int> Rebuilding)
{
    public const string Namespace = "longhorn-system";
    public static readonly ResourcePath Volumes = new("longhorn.io", "v1beta2", "volumes");
    public static readonly ResourcePath Engines = new("longhorn.io", "v1beta2", "engines");
    public static readonly ResourcePath ReplicaObjects = new("longhorn.io", "v1beta2", "replicas");

    /// <summary>Nodes that hold a replica but not the engine: losing one costs the engine-replica timeout, not the device.</summary>
    public IEnumerable<string> ReplicaOnlyNodes => Replicas.Keys.Where(n => n != EngineNode).Order(StringComparer.Ordinal);

    /// <summary>Reads the volume, its engine and its replicas.</summary>
    /// <exception cref="Errors.ChaosEdgeException">The volume does not exist.</exception>
    public static async Task<LonghornState> ReadAsync(KubeClient client, string volume, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var v = await client.TryGetAsync(Volumes.For(Namespace, volume), cancellationToken).ConfigureAwait(false)
            ?? throw new Errors.ChaosEdgeException($"Longhorn volume '{Namespace}/{volume}' does not exist.");
        var (engines, _) = await client.ListAsync(Engines.For(Namespace), cancellationToken: cancellationToken).ConfigureAwait(false);
        var (replicas, _) = await client.ListAsync(ReplicaObjects.For(Namespace), cancellationToken: cancellationToken).ConfigureAwait(false);
        var engine = engines.FirstOrDefault(e => e.Text("spec.volumeName") == volume);
        var modeMap = engine?["status"]?["replicaModeMap"] as JsonObject ?? [];
        var rebuild = engine?["status"]?["rebuildStatus"] as JsonObject ?? [];
        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        var rebuilding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var replica in replicas.Where(r => r.Text("spec.volumeName") == volume))
        {
            if (replica.Text("spec.nodeID") is not { } node)
            {
                continue;
            }

            // The engine's replica mode map is authoritative; a replica it does not list is failed (as Longhorn shows it).
            nodes[node] = (string?)modeMap[replica.Name()] ?? replica.Text("status.mode") ?? "ERR";
            if (rebuild[replica.Name()] is JsonObject status && (bool?)status["isRebuilding"] == true)
            {
                rebuilding[node] = (int?)status["progress"] ?? 0;
            }
        }

        return new LonghornState(volume, v.Text("status.state") ?? "unknown", v.Text("status.robustness") ?? "unknown",
            v.Text("status.currentNodeID") ?? engine?.Text("spec.nodeID"), nodes, rebuilding);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; returns that state.</summary>
    /// <exception cref="Errors.GateTimeoutException">It did not within <paramref name="timeout"/>.</exception>
    public static async Task<LonghornState> WaitAsync(KubeClient client, string volume, Func<LonghornState, bool> condition, TimeSpan timeout, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        LonghornState? last = null;
        await Waiting.Wait.UntilAsync($"Longhorn volume '{volume}'", "reach the expected state", async token =>
        {
            try
            {
                last = await ReadAsync(client, volume, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or Errors.ChaosEdgeException or TaskCanceledException && !token.IsCancellationRequested)
            {
                return (false, e.Message);
            }

            return (condition(last), $"{last.Robustness}, replicas {string.Join(", ", last.Replicas.Select(r => $"{r.Key}={r.Value}"))}");
        }, timeout, TimeSpan.FromMilliseconds(250), time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
        return last!;
    }
}
