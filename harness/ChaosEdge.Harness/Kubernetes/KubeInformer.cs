using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace ChaosEdge.Kubernetes;

/// <summary>
/// Keeps a local copy of a collection current: list, then watch from the list's resourceVersion, re-list when the
/// server says 410 (the version was compacted), re-watch when the stream ends quietly. Every reconnect is logged: a
/// silent gap in a watch would be a silent gap in what the watcher believes.
/// </summary>
public sealed class KubeInformer(KubeClient client, ResourceRef collection, ILogger logger, string? labelSelector = null, string? fieldSelector = null)
{
    private readonly ConcurrentDictionary<string, JsonObject> items = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Raised after the copy changed (a list, or one event); the argument is the event, or null after a list.</summary>
    public event Action<WatchEvent?>? Changed;

    /// <summary>The current objects, keyed <c>namespace/name</c> (or <c>name</c> for cluster-scoped ones).</summary>
    public IReadOnlyCollection<JsonObject> Items => [.. items.Values];

    /// <summary>Completes after the first successful list.</summary>
    public Task Synced => synced.Task;

    public JsonObject? Get(string? ns, string name) => items.TryGetValue(Key(ns, name), out var obj) ? obj : null;

    /// <summary>
    /// Runs until cancelled; errors are logged and retried after <paramref name="retryDelay"/> (default 1 s). Each watch
    /// asks the server to end it after <paramref name="watchTimeout"/> (default 5 min), and is then re-opened from the
    /// last version seen.
    /// </summary>
    public async Task RunAsync(TimeSpan? retryDelay = null, TimeSpan? watchTimeout = null, CancellationToken cancellationToken = default)
    {
        var delay = retryDelay ?? TimeSpan.FromSeconds(1);
        string? version = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    var (list, listVersion) = await client.ListAsync(collection, labelSelector, fieldSelector, cancellationToken).ConfigureAwait(false);
                    var fresh = list.ToDictionary(o => Key(o.Namespace(), o.Name()), StringComparer.Ordinal);
                    foreach (var key in items.Keys.Except(fresh.Keys).ToList())
                    {
                        items.TryRemove(key, out _);
                    }

                    foreach (var (key, obj) in fresh)
                    {
                        items[key] = obj;
                    }

                    version = listVersion;
                    synced.TrySetResult();
                    Changed?.Invoke(null);
                }

                await foreach (var evt in client.WatchAsync(collection, version, labelSelector, fieldSelector, watchTimeout, cancellationToken).ConfigureAwait(false))
                {
                    version = evt.ResourceVersion.Length > 0 ? evt.ResourceVersion : version;
                    if (evt.Type == "BOOKMARK")
                    {
                        continue;
                    }

                    var key = Key(evt.Object.Namespace(), evt.Object.Name());
                    if (evt.Type == "DELETED")
                    {
                        items.TryRemove(key, out _);
                    }
                    else
                    {
                        items[key] = evt.Object;
                    }

                    Changed?.Invoke(evt);
                }

                logger.WatchReconnected(collection.ToString(), "the stream ended", version ?? string.Empty);
            }
            catch (KubeApiException e) when (e.IsExpired)
            {
                logger.WatchReconnected(collection.ToString(), "resourceVersion expired (410); re-listing", version ?? string.Empty);
                version = null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or KubeApiException or TaskCanceledException or System.Text.Json.JsonException)
            {
                logger.WatchReconnected(collection.ToString(), e.Message, version ?? string.Empty);
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static string Key(string? ns, string name) => ns is null ? name : $"{ns}/{name}";
}
