using System.Globalization;
using System.Text.RegularExpressions;

namespace ChaosEdge.NodeRuntime.CoreDns;

/// <summary>
/// What the lab takes from a Corefile (coredns.io/manual "Configuration"): the server block on port 53, the zones of its
/// <c>kubernetes</c> plugin, and the ports of its <c>health</c> (default :8080) and <c>ready</c> (default :8181) plugins.
/// A Corefile without a <c>kubernetes</c> plugin is refused: the lab models only cluster DNS.
/// </summary>
internal sealed partial record Corefile(IReadOnlyList<string> Zones, int HealthPort, int ReadyPort)
{
    public static Corefile Parse(string text, string source)
    {
        var lines = text.Split('\n').Select(l => (l.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? l[..hash] : l).Trim()).ToList();
        var depth = 0;
        var inMain = false;
        List<string>? zones = null;
        int? health = null, ready = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            if (depth == 0 && line.EndsWith('{'))
            {
                inMain = line.TrimEnd('{').Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(k => k.EndsWith(":53", StringComparison.Ordinal) || !k.Contains(':', StringComparison.Ordinal));
            }
            else if (depth == 1 && inMain)
            {
                var words = line.TrimEnd('{').Split(' ', StringSplitOptions.RemoveEmptyEntries);
                switch (words[0])
                {
                    case "kubernetes": zones = [.. words.Skip(1)]; break;
                    case "health": health = Port(words.ElementAtOrDefault(1), 8080, source, i); break;
                    case "ready": ready = Port(words.ElementAtOrDefault(1), 8181, source, i); break;
                }
            }

            depth += line.Count(c => c == '{') - line.Count(c => c == '}');
        }

        if (zones is not { Count: > 0 })
        {
            throw new ArgumentException($"coredns: '{source}' has no 'kubernetes ZONE' plugin in a server block on port 53; the lab's CoreDNS model serves cluster DNS only.");
        }

        return new Corefile(zones, health ?? 0, ready ?? 0);
    }

    private static int Port(string? address, int fallback, string source, int line)
    {
        if (address is null)
        {
            return fallback;
        }

        var match = PortPattern().Match(address);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new ArgumentException($"coredns: '{source}' line {line + 1}: '{address}' is not an address with a port (such as :8080).");
    }

    [GeneratedRegex(@":([0-9]{1,5})$")]
    private static partial Regex PortPattern();
}
