using System.Text;
using System.Text.Json;

namespace ChaosEdge.Tests.Deploy;

/// <summary>deploy/container/Containerfile read as its builders read it: instructions (continuation lines joined, comments dropped), grouped by stage.</summary>
internal sealed class Containerfile
{
    private Containerfile(IReadOnlyList<(string Instruction, string Arguments)> preamble, IReadOnlyList<IReadOnlyList<(string Instruction, string Arguments)>> stages)
    {
        Preamble = preamble;
        Stages = stages;
    }

    /// <summary>The instructions before the first FROM (global build arguments).</summary>
    public IReadOnlyList<(string Instruction, string Arguments)> Preamble { get; }

    /// <summary>Each stage's instructions, its FROM first.</summary>
    public IReadOnlyList<IReadOnlyList<(string Instruction, string Arguments)>> Stages { get; }

    public IReadOnlyList<(string Instruction, string Arguments)> Final => Stages[^1];

    /// <summary>The final stage's ENTRYPOINT, in exec form.</summary>
    public IReadOnlyList<string> Entrypoint => JsonSerializer.Deserialize<string[]>(Final.Last(i => i.Instruction == "ENTRYPOINT").Arguments)!;

    public static Containerfile Load()
    {
        var preamble = new List<(string, string)>();
        var stages = new List<List<(string, string)>>();
        var pending = new StringBuilder();
        foreach (var line in File.ReadAllLines(Support.Repository.Path("deploy", "container", "Containerfile")).Select(l => l.Trim()))
        {
            // As the builders do: comment and empty lines are dropped, inside a continued instruction too.
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }

            var text = pending.Append(line).ToString();
            pending.Clear();
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var instruction = (space < 0 ? text : text[..space]).ToUpperInvariant();
            if (instruction == "FROM")
            {
                stages.Add([]);
            }

            (stages.Count == 0 ? preamble : stages[^1]).Add((instruction, space < 0 ? string.Empty : text[(space + 1)..].Trim()));
        }

        return new Containerfile(preamble, stages);
    }

    /// <summary>The image a FROM names, without its flags (<c>--platform=…</c>) and stage name.</summary>
    public static string BaseImage(string fromArguments) => fromArguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(word => !word.StartsWith("--", StringComparison.Ordinal));
}
