using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Controller;

/// <summary>
/// K3s's auto-deploy directory, as K3s's deploy controller runs it (<c>pkg/deploy/controller.go</c>): every
/// <c>.yaml</c>, <c>.yml</c> and <c>.json</c> file in <c>server/manifests</c> is applied when the server starts and
/// again whenever its modification time changes (the directory is looked at every 15 s); <c>NAME.skip</c> makes K3s
/// leave <c>NAME</c> alone; dotfiles are ignored. A file that cannot be applied is retried at the next look. The lab
/// applies a file only if its kubelet can run every container in it (<see cref="LabImages"/>); otherwise the error names
/// the file, and nothing of it is applied.
/// </summary>
internal sealed class AutoDeploy(KubeClient client, RuntimeOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>How often K3s's deploy controller looks at the directory.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    /// <summary>The field manager of the objects it applies.</summary>
    public const string FieldManager = "k3s-deploy";

    private readonly Dictionary<string, DateTime> applied = new(StringComparer.Ordinal);

    public string Directory => Path.Combine(options.ServerDir, "manifests");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var force = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await PassAsync(force, cancellationToken).ConfigureAwait(false))
            {
                force = false;
            }

            try
            {
                await Task.Delay(Period, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One look at the directory; whether every file due was applied.</summary>
    private async Task<bool> PassAsync(bool force, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return true;
        }

        var files = System.IO.Directory.GetFiles(Directory).Order(StringComparer.Ordinal).ToList();
        var skips = files.Where(f => f.EndsWith(".skip", StringComparison.Ordinal)).Select(f => f[..^".skip".Length]).ToHashSet(StringComparer.Ordinal);
        var ok = true;
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.') || skips.Contains(file) || Path.GetExtension(name) is not (".yaml" or ".yml" or ".json"))
            {
                continue;
            }

            var modified = File.GetLastWriteTimeUtc(file);
            if (!force && applied.TryGetValue(file, out var last) && last == modified)
            {
                continue;
            }

            try
            {
                var objects = ManifestYaml.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), file);
                if (LabImages.Problems(objects, file) is { Count: > 0 } problems)
                {
                    throw new Errors.ChaosEdgeException("the lab cannot model it: " + string.Join(" ", problems));
                }

                static int Order(JsonObject o) => (string?)o["kind"] switch { "Namespace" => 0, "CustomResourceDefinition" => 1, _ => 2 };
                var changed = 0;
                foreach (var obj in objects.OrderBy(Order))
                {
                    changed += (await client.ApplyAsync(obj, FieldManager, cancellationToken: cancellationToken).ConfigureAwait(false)).Changed ? 1 : 0;
                }

                applied[file] = modified;
                logger.LogInformation("Applied manifest at '{File}' ({Objects} objects, {Changed} changed).", file, objects.Count, changed);
            }
            catch (Exception e) when (e is Errors.ChaosEdgeException or KubeApiException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                ok = false;
                logger.LogError("Failed to process manifest '{File}': {Error}", file, e.Message);
            }
        }

        return ok;
    }
}
