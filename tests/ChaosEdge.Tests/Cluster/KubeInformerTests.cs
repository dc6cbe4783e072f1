using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Tests.Support;
using ChaosEdge.Waiting;

namespace ChaosEdge.Tests.Cluster;

/// <summary>The one list → watch → re-list loop, through KubernetesClient's watch, against the lab's API server and its real etcd.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class KubeInformerTests
{
    [Test]
    public async Task The_informer_follows_every_change_and_re_lists_when_its_version_was_compacted_logging_each_reconnect()
    {
        using var client = ClusterLab.Client();
        var ns = "informer-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(ResourcePath.Namespaces.For(), new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        var logger = new RecordingLogger();
        var informer = new KubeInformer(client, ResourcePath.ConfigMaps.For(ns), logger);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var running = informer.RunAsync(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), stop.Token);
        try
        {
            await informer.Synced.WaitAsync(TimeSpan.FromSeconds(20));
            await client.CreateAsync(ResourcePath.ConfigMaps.For(ns), ConfigMap("a", "1"));
            await SeenAsync(informer, "'a' with 1", () => (string?)informer.Get(ns, "a")?["data"]?["v"] == "1");
            await client.PatchAsync(ResourcePath.ConfigMaps.For(ns, "a"), new JsonObject { ["data"] = new JsonObject { ["v"] = "2" } });
            await SeenAsync(informer, "'a' with 2", () => (string?)informer.Get(ns, "a")?["data"]?["v"] == "2");

            // Writes elsewhere move the store's revision past the informer's; compacting there makes its version stale.
            var elsewhere = ResourcePath.ConfigMaps.For("default", "informer-elsewhere-" + ns);
            await client.CreateAsync(ResourcePath.ConfigMaps.For("default"), new JsonObject { ["metadata"] = new JsonObject { ["name"] = elsewhere.Name } });
            var latest = (await client.PatchAsync(elsewhere, new JsonObject { ["data"] = new JsonObject { ["n"] = "1" } })).ResourceVersion();
            var compact = await ClusterLab.Shell("edge-1").RunAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {ChaosEdge.Health.HealthGate.EtcdctlFlags} compact {latest}");
            Assert.That(compact.ExitCode, Is.Zero, compact.Stderr);
            await client.DeleteAsync(elsewhere);

            await SeenAsync(informer, "a re-list after 410", () => logger.Lines.Any(l => l.Message.Contains("expired (410); re-listing", StringComparison.Ordinal)));
            await client.DeleteAsync(ResourcePath.ConfigMaps.For(ns, "a"));
            await client.CreateAsync(ResourcePath.ConfigMaps.For(ns), ConfigMap("b", "3"));
            await SeenAsync(informer, "'b' and no 'a'", () => informer.Get(ns, "b") is not null && informer.Get(ns, "a") is null);

            Assert.Multiple(() =>
            {
                Assert.That(informer.Items.Select(o => o.Name()), Is.EqualTo(new[] { "b" }));
                Assert.That(logger.Lines.Where(l => l.Event == "WatchReconnected").Select(l => l.Message), Has.Some.Contains("the stream ended"), "a watch the server ended is re-opened, and says so");
                Assert.That(running.IsCompleted, Is.False, running.Exception?.ToString());
            });
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            await client.DeleteAsync(ResourcePath.Namespaces.For(null, ns));
        }
    }

    private static JsonObject ConfigMap(string name, string value) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject { ["v"] = value },
    };

    private static Task SeenAsync(KubeInformer informer, string what, Func<bool> seen) =>
        Wait.UntilAsync("The informer's copy", $"show {what}", _ => Task.FromResult<(bool, string?)>((seen(), $"{informer.Items.Count} objects")), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
}
