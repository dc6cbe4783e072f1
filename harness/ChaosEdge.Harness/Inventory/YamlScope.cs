using ChaosEdge.Errors;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Inventory;

/// <summary>Collects problems against positions in one YAML file.</summary>
internal sealed class YamlProblems(string file)
{
    private readonly List<ConfigurationProblem> problems = [];

    public string File { get; } = file;

    public IReadOnlyList<ConfigurationProblem> All => problems;

    public void Add(YamlNode node, string field, string message) =>
        problems.Add(new ConfigurationProblem(File, (int)node.Start.Line, (int)node.Start.Column, field, message));

    public void Add(int line, int column, string field, string message) =>
        problems.Add(new ConfigurationProblem(File, line, column, field, message));
}

/// <summary>
/// Reads one YAML mapping: every key read is marked known, and <see cref="RejectUnknownKeys"/> turns the rest into
/// problems, so a typo never silently changes behaviour.
/// </summary>
internal sealed class YamlScope(YamlMappingNode node, string path, YamlProblems problems)
{
    private readonly HashSet<string> known = new(StringComparer.Ordinal);

    public YamlMappingNode Node { get; } = node;

    public string Path { get; } = path;

    public YamlProblems Problems { get; } = problems;

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; <paramref name="fallback"/> when absent, or (reported) when wrong.</summary>
    public int Int(string key, int fallback, int min, int max)
    {
        var text = Scalar(key, required: false);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Problems.Add(NodeOf(key)!, FieldPath(key), $"'{text}' is not a whole number from {min} to {max}.");
            return fallback;
        }

        return value;
    }

    /// <summary><c>true</c> or <c>false</c>; <paramref name="fallback"/> when absent, or (reported) when anything else.</summary>
    public bool Bool(string key, bool fallback)
    {
        switch (Scalar(key, required: false))
        {
            case null: return fallback;
            case "true": return true;
            case "false": return false;
            case var text:
                Problems.Add(NodeOf(key)!, FieldPath(key), $"'{text}' is not 'true' or 'false'.");
                return fallback;
        }
    }

    /// <summary>Opens <paramref name="node"/> as a mapping, or reports that it is not one.</summary>
    public static YamlScope? Open(YamlNode? node, string path, YamlProblems problems)
    {
        if (node is YamlMappingNode mapping)
        {
            return new YamlScope(mapping, path, problems);
        }

        if (node is not null)
        {
            problems.Add(node, path, "must be a mapping of keys to values.");
        }

        return null;
    }

    public YamlNode? Optional(string key)
    {
        known.Add(key);
        return NodeOf(key) is { } value && !IsNull(value) ? value : null;
    }

    public YamlNode? Required(string key)
    {
        var value = Optional(key);
        if (value is null)
        {
            Problems.Add(Node, FieldPath(key), "is required.");
        }

        return value;
    }

    public YamlScope? Mapping(string key, bool required)
    {
        var value = required ? Required(key) : Optional(key);
        return Open(value, FieldPath(key), Problems);
    }

    public string? Scalar(string key, bool required)
    {
        var value = required ? Required(key) : Optional(key);
        if (value is null)
        {
            return null;
        }

        if (value is YamlScalarNode scalar && scalar.Value is { } text)
        {
            return text;
        }

        Problems.Add(value, FieldPath(key), "must be a single value, not a list or mapping.");
        return null;
    }

    public YamlNode? NodeOf(string key)
    {
        foreach (var (k, v) in Node.Children)
        {
            if (k is YamlScalarNode s && s.Value == key)
            {
                return v;
            }
        }

        return null;
    }

    public void RejectUnknownKeys()
    {
        foreach (var key in Node.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? key.ToString();
            if (!known.Contains(name))
            {
                var hint = Suggest(name);
                Problems.Add(key, FieldPath(name), hint is null
                    ? $"unknown key '{name}'."
                    : $"unknown key '{name}' (did you mean '{hint}'?).");
            }
        }
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Value: null or "" or "~" or "null" } scalar && scalar.Style == YamlDotNet.Core.ScalarStyle.Plain;

    private string? Suggest(string name) =>
        known.Select(k => (Key: k, Distance: Distance(k, name))).Where(x => x.Distance <= 2).OrderBy(x => x.Distance).Select(x => x.Key).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            }
        }

        return d[a.Length, b.Length];
    }
}
