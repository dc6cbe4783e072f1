using System.Collections.Concurrent;

namespace ChaosEdge.Secrets;

/// <summary>
/// Process-wide registry of secret values. Everything ChaosEdge writes for people (logs, exceptions, reports)
/// passes through <see cref="Redact"/>, so a secret registered once is never printed.
/// </summary>
public static class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    // Secrets shorter than this would mask ordinary words and digits; refuse to treat them as secrets rather than
    // corrupt every log line. Real secrets (tokens, passwords) are longer.
    private const int MinimumLength = 4;

    private static readonly ConcurrentDictionary<string, byte> Values = new(StringComparer.Ordinal);

    /// <summary>Registers a value so that every later <see cref="Redact"/> masks it.</summary>
    public static void Register(string value)
    {
        if (value.Length >= MinimumLength)
        {
            Values.TryAdd(value, 0);
        }
    }

    /// <summary>Masks every registered secret, and the given extra ones, in <paramref name="text"/>.</summary>
    public static string Redact(string text, IEnumerable<string>? extraSecrets = null)
    {
        var result = text;
        foreach (var secret in Values.Keys.Concat(extraSecrets ?? []).Where(s => s.Length > 0).OrderByDescending(s => s.Length))
        {
            result = result.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return result;
    }
}
