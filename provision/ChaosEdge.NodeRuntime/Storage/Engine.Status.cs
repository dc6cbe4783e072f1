using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Storage;

namespace ChaosEdge.NodeRuntime.Storage;

internal sealed partial class Engine
{
    private static ResourcePath Volumes => LonghornState.Volumes;
    private static ResourcePath Engines => LonghornState.Engines;
    private static ResourcePath Replicas => LonghornState.ReplicaObjects;
    private const string Namespace = LonghornState.Namespace;

    /// <summary>
    /// Publishes the engine's view in Longhorn's custom resources (the subset ChaosEdge reads): the volume's state and
    /// robustness, the engine's replica modes and rebuild status, each replica's mode. Every 500 ms, when it changed.
    /// </summary>
    public async Task PublishStatusAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            var updates = new List<(ResourceRef Path, JsonObject Status)>
            {
                (Volumes.For(Namespace, options.Volume), new JsonObject
                {
                    ["state"] = "attached", ["robustness"] = Robustness, ["currentNodeID"] = options.Node, ["frontend"] = "blockdev",
                }),
                (Engines.For(Namespace, $"{options.Volume}-e-0"), new JsonObject
                {
                    ["currentState"] = "running",
                    ["replicaModeMap"] = new JsonObject(links.Select(l => KeyValuePair.Create(l.Name, (JsonNode?)l.Mode.ToString()))),
                    ["rebuildStatus"] = new JsonObject(links.Where(l => l.Mode == ReplicaMode.WO).Select(l => KeyValuePair.Create(l.Name, (JsonNode?)new JsonObject
                    {
                        ["isRebuilding"] = true, ["progress"] = l.RebuildProgress, ["state"] = "in_progress",
                    }))),
                }),
            };
            updates.AddRange(links.Select(l => (Replicas.For(Namespace, l.Name), new JsonObject
            {
                ["currentState"] = l.Mode == ReplicaMode.ERR ? "error" : "running", ["mode"] = l.Mode.ToString(), ["failedReason"] = l.FailureReason,
            })));
            foreach (var (path, status) in updates)
            {
                var text = status.ToJsonString();
                if (last.GetValueOrDefault(path.ToString()) == text)
                {
                    continue;
                }

                try
                {
                    await client.PatchAsync(path, new JsonObject { ["status"] = status }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    last[path.ToString()] = text;
                }
                catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // The API may be away (its node faulted); the next round publishes again.
                    logger.LogDebug("Could not publish {Path}: {Reason}", path, e.Message);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
