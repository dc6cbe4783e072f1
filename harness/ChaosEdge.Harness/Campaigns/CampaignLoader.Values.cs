using System.Globalization;
using System.Text;
using ChaosEdge.Inventory;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Campaigns;

public static partial class CampaignLoader
{
    /// <summary>Values in a campaign file's words: kebab-case names for enums, durations such as <c>5s</c>.</summary>
    private sealed partial class Reader(YamlProblems problems)
    {
        public int ReadInt(YamlScope scope, string key, int fallback, int min, int max) => scope.Int(key, fallback, min, max);

        public bool ReadBool(YamlScope scope, string key, bool fallback) => scope.Bool(key, fallback);

        /// <summary>A duration from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="fallback"/> when absent or wrong.</summary>
        public TimeSpan ReadDuration(YamlScope scope, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
        {
            var text = scope.Scalar(key, required: false);
            if (text is null)
            {
                return fallback;
            }

            if (!ValueParsers.TryParseDuration(text, out var value))
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"'{text}' is not a duration such as 5s, 250ms or 1m30s.");
                return fallback;
            }

            if (value < min || value > max)
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"'{text}' is not a duration from {Describe(min)} to {Describe(max)}.");
                return fallback;
            }

            return value;
        }

        /// <summary>One of <paramref name="choices"/> by its name, or null (reported) when absent-but-required or unknown.</summary>
        public T? ReadChoice<T>(YamlScope scope, string key, IReadOnlyDictionary<string, T> choices, string what, bool required)
            where T : struct
        {
            var text = scope.Scalar(key, required);
            if (text is null)
            {
                return null;
            }

            if (choices.TryGetValue(text, out var value))
            {
                return value;
            }

            problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"'{text}' is not a {what}; {what}s are {string.Join(", ", choices.Keys)}.");
            return null;
        }

        /// <summary>A list of names (<c>[vip-tcp, api-readyz-fresh]</c>) with each name's node, or null when absent or not a list of names.</summary>
        public List<(string Name, YamlNode Node)>? ReadNames(YamlScope scope, string key)
        {
            var value = scope.Optional(key);
            if (value is null)
            {
                return null;
            }

            if (value is not YamlSequenceNode list)
            {
                problems.Add(value, scope.FieldPath(key), "must be a list of names, such as [vip-tcp, api-readyz-fresh].");
                return null;
            }

            var names = new List<(string, YamlNode)>();
            for (var i = 0; i < list.Children.Count; i++)
            {
                if (list.Children[i] is YamlScalarNode { Value: { Length: > 0 } name })
                {
                    names.Add((name, list.Children[i]));
                }
                else
                {
                    problems.Add(list.Children[i], $"{scope.FieldPath(key)}[{i}]", "must be a name, not a list, mapping or nothing.");
                }
            }

            return names;
        }
    }

    /// <summary>The kebab-case form of a C# name: <c>PowerOff</c> → <c>power-off</c>.</summary>
    internal static string Kebab(string pascal)
    {
        var text = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(pascal[i]));
        }

        return text.ToString();
    }

    private static Dictionary<string, T> KebabNames<T>(IEnumerable<T> values)
        where T : struct, Enum =>
        values.ToDictionary(v => Kebab(v.ToString()), StringComparer.Ordinal);

    /// <summary>A duration as a campaign file writes it: <c>90s</c> is <c>1m30s</c>, <c>0.25s</c> is <c>250ms</c>.</summary>
    private static string Describe(TimeSpan value)
    {
        var parts = new StringBuilder();
        foreach (var (amount, unit) in new[] { ((int)value.TotalHours, "h"), (value.Minutes, "m"), (value.Seconds, "s"), (value.Milliseconds, "ms") })
        {
            if (amount > 0)
            {
                parts.Append(CultureInfo.InvariantCulture, $"{amount}{unit}");
            }
        }

        return parts.Length == 0 ? "0s" : parts.ToString();
    }
}
