using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// Write markers: every 250 ms each writer creates a ConfigMap (labelled <c>chaosedge.io/run</c>) through its API
/// endpoint and, when acknowledged, records it; all writers also update one shared ConfigMap with their own name.
/// After recovery every acknowledged marker must be there (zero acknowledged writes lost), and — for a partition —
/// no two sides may both have had an update of the shared ConfigMap acknowledged while partitioned (a conflict).
/// </summary>
public sealed class WriteMarkers(KubeConfig config, IReadOnlyDictionary<string, Uri> writers) : IScenarioWorkload
{
    private readonly string run = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
    private readonly ConcurrentBag<(string Writer, string Name, long At)> acknowledged = [];
    private readonly ConcurrentBag<(string Writer, long At)> sharedUpdates = [];
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> loops = [];
    private int attempts;

    /// <summary>
    /// The window (<see cref="TimeProvider.System"/> timestamps) in which conflicting shared updates count, or null
    /// for none.
    /// </summary>
    public (long From, long To)? ConflictWindow { get; set; }

    private string Shared => $"ce-shared-{run}";

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        using (var client = new KubeClient(config, TimeSpan.FromSeconds(3)))
        {
            await client.CreateAsync(ResourcePath.ConfigMaps.For("default"), ConfigMap(Shared, "none"), cancellationToken);
        }

        foreach (var (writer, server) in writers)
        {
            loops.Add(WriteLoopAsync(writer, server));
        }
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(loops);
    }

    public async Task<IReadOnlyList<string>> VerifyAsync(CancellationToken cancellationToken = default)
    {
        using var client = new KubeClient(config, TimeSpan.FromSeconds(10));
        var (items, _) = await client.ListAsync(ResourcePath.ConfigMaps.For("default"), cancellationToken: cancellationToken);
        var present = items.Select(i => i.Name()).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Where(a => !present.Contains(a.Name)).ToList();
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"write markers: {attempts} writes, {acknowledged.Count} acknowledged ({(attempts == 0 ? 0 : 100.0 * acknowledged.Count / attempts):0.0} % write availability), {lost.Count} acknowledged writes lost"),
        };
        if (ConflictWindow is { } window)
        {
            var sides = sharedUpdates.Where(u => u.At >= window.From && u.At <= window.To).Select(u => u.Writer).Distinct().ToList();
            notes.Add($"shared key updates acknowledged during the partition by: {(sides.Count == 0 ? "no side" : string.Join(", ", sides))}; conflicting: {(sides.Count > 1 ? "YES" : "no")}");
            Assert.That(sides, Has.Count.LessThanOrEqualTo(1), "Both sides of the partition had conflicting writes acknowledged.");
        }

        foreach (var item in items.Where(i => i.Name().Contains(run, StringComparison.Ordinal)))
        {
            await client.DeleteAsync(ResourcePath.ConfigMaps.For("default", item.Name()), cancellationToken: cancellationToken);
        }

        Assert.That(lost.Select(l => l.Name), Is.Empty, "Acknowledged writes were lost.");
        return notes;
    }

    private async Task WriteLoopAsync(string writer, Uri server)
    {
        using var client = new KubeClient(config.WithServer(server), TimeSpan.FromSeconds(2));
        for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"ce-marker-{run}-{writer}-{sequence}");
            Interlocked.Increment(ref attempts);
            try
            {
                await client.CreateAsync(ResourcePath.ConfigMaps.For("default"), ConfigMap(name, writer), stop.Token);
                acknowledged.Add((writer, name, TimeProvider.System.GetTimestamp()));
                await client.PatchAsync(ResourcePath.ConfigMaps.For("default", Shared), new JsonObject { ["data"] = new JsonObject { ["writer"] = writer } }, cancellationToken: stop.Token);
                sharedUpdates.Add((writer, TimeProvider.System.GetTimestamp()));
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException or OperationCanceledException)
            {
                // Not acknowledged: allowed to be lost.
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private JsonObject ConfigMap(string name, string writer) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["labels"] = new JsonObject { ["chaosedge.io/run"] = run } },
        ["data"] = new JsonObject { ["writer"] = writer },
    };
}
