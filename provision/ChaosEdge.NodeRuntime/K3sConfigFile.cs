using YamlDotNet.RepresentationModel;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// K3s's configuration file, read as K3s reads it (docs.k3s.io "Configuration File"; <c>pkg/configfilearg</c>):
/// <c>/etc/rancher/k3s/config.yaml</c> (or <c>--config</c>/<c>K3S_CONFIG_FILE</c>), then every
/// <c>config.yaml.d/*.yaml</c> in name order. Each key is a long flag name: a string or number is <c>--key=value</c>, a
/// list is the flag repeated, <c>true</c> is the bare flag (<c>false</c> leaves it out). A key in a later file replaces
/// the earlier value, unless it ends in <c>+</c>, which appends to a list. The flags come before the command line's,
/// so the command line wins for single-valued flags, as with K3s.
/// </summary>
internal static class K3sConfigFile
{
    public const string DefaultPath = "/etc/rancher/k3s/config.yaml";

    /// <summary>
    /// The flags the files give, in order, each with where it was set (<c>file:line:column key</c>); a file that is not
    /// K3s's shape throws, naming the file, line and key.
    /// </summary>
    public static List<(string Flag, string Origin)> Flags(string path)
    {
        var values = new List<(string Key, List<string> Values, bool Bare, string Origin)>();
        var files = new List<string>();
        if (File.Exists(path))
        {
            files.Add(path);
        }

        var dropIns = path + ".d";
        if (Directory.Exists(dropIns))
        {
            files.AddRange(Directory.GetFiles(dropIns).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }

        foreach (var file in files)
        {
            foreach (var (key, items, bare, append, origin) in Read(file))
            {
                var existing = values.FindIndex(v => v.Key == key);
                if (append && existing >= 0)
                {
                    values[existing].Values.AddRange(items);
                }
                else if (existing >= 0)
                {
                    values[existing] = (key, items, bare, origin);
                }
                else
                {
                    values.Add((key, items, bare, origin));
                }
            }
        }

        var flags = new List<(string, string)>();
        foreach (var (key, items, bare, origin) in values)
        {
            if (bare)
            {
                flags.Add(("--" + key, origin));
            }
            else
            {
                flags.AddRange(items.Select(v => ($"--{key}={v}", origin)));
            }
        }

        return flags;
    }

    private static IEnumerable<(string Key, List<string> Values, bool Bare, bool Append, string Origin)> Read(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ArgumentException($"{file}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            yield break;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ArgumentException($"{file}:{stream.Documents[0].RootNode.Start.Line}: K3s's configuration is a mapping of flag names to values.");
        }

        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
            var append = key.EndsWith('+');
            key = key.TrimEnd('+');
            var at = $"{file}:{keyNode.Start.Line}:{keyNode.Start.Column} {key}";
            switch (value)
            {
                case YamlScalarNode { Value: "true" } when value is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) }:
                    yield return (key, [], true, false, at);
                    break;
                case YamlScalarNode { Value: "false" } when value is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) }:
                    break;
                case YamlScalarNode scalar:
                    yield return (key, [scalar.Value ?? string.Empty], false, append, at);
                    break;
                case YamlSequenceNode list:
                    var items = new List<string>();
                    foreach (var item in list.Children)
                    {
                        items.Add(item is YamlScalarNode s ? s.Value ?? string.Empty : throw new ArgumentException($"{at}: a list of strings is expected."));
                    }

                    yield return (key, items, false, append, at);
                    break;
                default:
                    throw new ArgumentException($"{at}: a string, number, boolean or list of strings is expected.");
            }
        }
    }
}
