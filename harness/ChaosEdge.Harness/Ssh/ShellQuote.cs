namespace ChaosEdge.Ssh;

/// <summary>POSIX shell quoting for values put into commands that run on a node.</summary>
public static class ShellQuote
{
    /// <summary>Quotes <paramref name="value"/> as one shell word: single quotes, with embedded single quotes escaped.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c, StringComparison.Ordinal))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Joins words into a command line, quoting each.</summary>
    public static string Join(params IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
