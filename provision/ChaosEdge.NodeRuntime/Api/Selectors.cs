using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>
/// Label selectors (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a</c>, <c>!a</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>) and
/// field selectors (<c>metadata.name=x</c>, <c>metadata.namespace=x</c>, <c>spec.nodeName=x</c>, <c>status.phase!=x</c>).
/// </summary>
internal sealed class Selector
{
    private readonly List<Func<JsonObject, bool>> requirements = [];

    public static Selector Everything { get; } = new();

    public bool Matches(JsonObject obj) => requirements.All(r => r(obj));

    public static Selector Labels(string? text)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            if (term.Contains(" notin ", StringComparison.Ordinal) || term.Contains(" in ", StringComparison.Ordinal))
            {
                var notIn = term.Contains(" notin ", StringComparison.Ordinal);
                var parts = term.Split(notIn ? " notin " : " in ", 2);
                var key = parts[0].Trim();
                var values = parts[1].Trim().TrimStart('(').TrimEnd(')').Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
                selector.requirements.Add(o => o.Label(key) is { } value ? values.Contains(value) != notIn : notIn);
            }
            else if (Split(term, "!=") is { } notEqual)
            {
                selector.requirements.Add(o => o.Label(notEqual.Key) != notEqual.Value);
            }
            else if ((Split(term, "==") ?? Split(term, "=")) is { } equal)
            {
                selector.requirements.Add(o => o.Label(equal.Key) == equal.Value);
            }
            else if (term.StartsWith('!'))
            {
                var key = term[1..].Trim();
                selector.requirements.Add(o => o.Label(key) is null);
            }
            else
            {
                var key = term.Trim();
                selector.requirements.Add(o => o.Label(key) is not null);
            }
        }

        return selector;
    }

    public static Selector Fields(string? text)
    {
        var selector = new Selector();
        foreach (var term in SplitTerms(text))
        {
            var notEqual = Split(term, "!=");
            var (field, value) = notEqual ?? Split(term, "==") ?? Split(term, "=") ?? throw ApiError.BadRequest($"invalid field selector '{term}'");
            selector.requirements.Add(o => (o.Text(field) ?? string.Empty) == value != (notEqual is not null));
        }

        return selector;
    }

    private static IEnumerable<string> SplitTerms(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0))
            {
                var term = text[start..i].Trim();
                if (term.Length > 0)
                {
                    yield return term;
                }

                start = i + 1;
            }
            else if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
        }
    }

    private static (string Key, string Value)? Split(string term, string op)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        if (at <= 0 || (op == "=" && (term[at - 1] == '!' || (at + 1 < term.Length && term[at + 1] == '='))))
        {
            return null;
        }

        return (term[..at].Trim(), term[(at + op.Length)..].Trim());
    }
}
