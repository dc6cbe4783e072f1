namespace ChaosEdge.Ssh;

/// <summary>Per-command options.</summary>
public sealed class NodeCommandOptions
{
    /// <summary>
    /// Kill the command (on the node and locally) after this long; <see cref="NodeShellOptions.DefaultCommandTimeout"/>
    /// when <c>null</c>. <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Text written to the command's standard input (then closed). Prefer it to the command line for secrets.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Values that appear in the command and must be masked wherever it is shown (logs, exceptions).</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>
    /// The command prints a secret the caller needs (a join token): standard output is returned unredacted, and only to
    /// the caller — it is never logged. A failure's exception still shows it redacted.
    /// </summary>
    public bool ReadsSecret { get; init; }
}
