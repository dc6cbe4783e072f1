using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using k8s;
using k8s.Models;

namespace ChaosEdge.Scenarios;

/// <summary>
/// Write markers: every 250 ms each writer creates a ConfigMap (labelled <c>chaosedge.io/run</c>) through its API
/// endpoint and, when acknowledged, records it; all writers also update one shared ConfigMap with their own name.
/// After recovery every acknowledged marker must be there (zero acknowledged writes lost), and — for a partition —
/// no two sides may both have had an update of the shared ConfigMap acknowledged while partitioned (a conflict).
/// An update counts as made while partitioned when it was sent after the fault took effect and acknowledged before
/// its restore began: nothing committed before the partition can be mistaken for a conflict.
/// </summary>
/// <param name="config">API access; each writer uses it with its own server.</param>
/// <param name="writers">Writer name → the API endpoint it writes through.</param>
/// <param name="time">The clock of the scenario's environment (the fault window's timestamps are on it).</param>
public sealed class WriteMarkers(KubeConfig config, IReadOnlyDictionary<string, Uri> writers, TimeProvider? time = null) : IScenarioWorkload
{
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly string run = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
    private readonly ConcurrentBag<(string Writer, string Name)> acknowledged = [];
    private readonly ConcurrentBag<(string Writer, long Sent, long Acknowledged)> sharedUpdates = [];
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> loops = [];
    private int attempts;

    /// <summary>Whether the writers are on different sides of a partition, so shared updates they all had acknowledged during it conflict.</summary>
    public bool DetectConflicts { get; init; }

    private const string Namespace = "default";
    private const string RunLabel = "chaosedge.io/run";

    private string Shared => $"ce-shared-{run}";

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        using (var client = new KubeClient(config, TimeSpan.FromSeconds(3)))
        {
            await client.CallAsync("POST configmap", (c, t) => c.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap(Shared, "none"), Namespace, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        }

        foreach (var (writer, server) in writers)
        {
            loops.Add(WriteLoopAsync(writer, server));
        }
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> VerifyAsync(FaultWindow fault, CancellationToken cancellationToken = default)
    {
        using var client = new KubeClient(config, TimeSpan.FromSeconds(10));
        var items = (await client.CallAsync("LIST configmaps", (c, t) => c.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: $"{RunLabel}={run}", cancellationToken: t), cancellationToken).ConfigureAwait(false)).Items;
        var present = items.Select(i => i.Name()).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Where(a => !present.Contains(a.Name)).ToList();
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"write markers: {attempts} writes, {acknowledged.Count} acknowledged ({(attempts == 0 ? 0 : 100.0 * acknowledged.Count / attempts):0.0} % write availability), {lost.Count} acknowledged writes lost"),
        };
        var sides = new List<string>();
        if (DetectConflicts)
        {
            sides = [.. sharedUpdates.Where(u => u.Sent >= fault.TookEffect && u.Acknowledged <= fault.RestoreStarted).Select(u => u.Writer).Distinct().Order(StringComparer.Ordinal)];
            notes.Add($"shared key updates acknowledged during the partition by: {(sides.Count == 0 ? "no side" : string.Join(", ", sides))}; conflicting: {(sides.Count > 1 ? "YES" : "no")}");
        }

        foreach (var item in items)
        {
            await client.CallAsync("DELETE configmap", (c, t) => c.CoreV1.DeleteNamespacedConfigMapAsync(item.Name(), Namespace, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        }

        if (lost.Count > 0)
        {
            throw new DataLossException($"{lost.Count} acknowledged writes were lost: {string.Join(", ", lost.Take(10).Select(l => l.Name))}{(lost.Count > 10 ? ", …" : string.Empty)}.");
        }

        if (sides.Count > 1)
        {
            throw new DataLossException($"Both sides of the partition had conflicting writes acknowledged: {string.Join(", ", sides)}.");
        }

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
                await client.CallAsync("POST configmap", (c, t) => c.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap(name, writer), Namespace, cancellationToken: t), stop.Token).ConfigureAwait(false);
                acknowledged.Add((writer, name));
                var sent = clock.GetTimestamp();
                var patch = new V1Patch(new JsonObject { ["data"] = new JsonObject { ["writer"] = writer } }.ToJsonString(), V1Patch.PatchType.MergePatch);
                await client.CallAsync("PATCH configmap", (c, t) => c.CoreV1.PatchNamespacedConfigMapAsync(patch, Shared, Namespace, cancellationToken: t), stop.Token).ConfigureAwait(false);
                sharedUpdates.Add((writer, sent, clock.GetTimestamp()));
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException or OperationCanceledException)
            {
                // Not acknowledged: allowed to be lost.
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), clock, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private V1ConfigMap ConfigMap(string name, string writer) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { [RunLabel] = run } },
        Data = new Dictionary<string, string> { ["writer"] = writer },
    };
}
