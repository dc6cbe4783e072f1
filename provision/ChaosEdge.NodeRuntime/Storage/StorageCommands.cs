using System.Globalization;
using System.Net;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>
/// <c>ce-k3s longhorn-replica --listen IP:PORT --data DIR</c> and <c>ce-k3s longhorn-engine --volume NAME --size BYTES
/// --node NODE --replica NAME=NODE@IP:PORT… --timeout 8s --nbd IP:PORT --state DIR --api URL --ca FILE --token-file FILE</c>:
/// the lab's Longhorn-style replicated volume, run as pods.
/// </summary>
internal static class StorageCommands
{
    public static Task RunReplicaAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var options = Parse(args);
        return new ReplicaServer(One(options, "data"), IPEndPoint.Parse(One(options, "listen")), loggers.CreateLogger("replica")).RunAsync(cancellationToken);
    }

    public static async Task RunEngineAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var options = Parse(args);
        var replicas = options.GetValueOrDefault("replica", []).Select(r =>
        {
            var (name, rest) = Split(r, '=');
            var (node, endpoint) = Split(rest, '@');
            return (name, node, IPEndPoint.Parse(endpoint));
        }).ToList();
        var timeout = TimeSpan.FromSeconds(double.Parse(One(options, "timeout").TrimEnd('s'), CultureInfo.InvariantCulture));
        var engine = new Engine(
            new EngineOptions(One(options, "volume"), long.Parse(One(options, "size"), CultureInfo.InvariantCulture), One(options, "node"), replicas, timeout, IPEndPoint.Parse(One(options, "nbd")), One(options, "state")),
            loggers.CreateLogger("engine"), TimeProvider.System);
        using var client = new KubeClient(new KubeConfig(new Uri(One(options, "api")), await File.ReadAllTextAsync(One(options, "ca"), cancellationToken).ConfigureAwait(false),
            (await File.ReadAllTextAsync(One(options, "token-file"), cancellationToken).ConfigureAwait(false)).Trim()), TimeSpan.FromSeconds(3));
        await Task.WhenAll(engine.RunAsync(cancellationToken), engine.PublishStatusAsync(client, cancellationToken)).ConfigureAwait(false);
    }

    private static Dictionary<string, List<string>> Parse(string[] args)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            (result.TryGetValue(args[i][2..], out var list) ? list : result[args[i][2..]] = []).Add(args[i + 1]);
        }

        return result;
    }

    private static string One(Dictionary<string, List<string>> options, string key) =>
        options.TryGetValue(key, out var values) && values.Count == 1 ? values[0] : throw new ArgumentException($"--{key} is required once");

    private static (string, string) Split(string text, char separator)
    {
        var at = text.IndexOf(separator, StringComparison.Ordinal);
        return at > 0 ? (text[..at], text[(at + 1)..]) : throw new ArgumentException($"'{text}' lacks '{separator}'");
    }
}
