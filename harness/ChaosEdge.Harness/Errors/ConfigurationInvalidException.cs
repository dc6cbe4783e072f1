namespace ChaosEdge.Errors;

/// <summary>
/// A configuration file (inventory, SLA) is invalid. Carries every problem found, so a user sees all
/// mistakes in one go; the message lists one problem per line as <c>file:line:column field: message</c>.
/// </summary>
public sealed class ConfigurationInvalidException : ChaosEdgeException
{
    public ConfigurationInvalidException(string source, IReadOnlyList<ConfigurationProblem> problems)
        : base(FormatMessage(source, problems))
    {
        Source = source;
        Problems = problems;
    }

    /// <summary>The file that was loaded, as the user named it.</summary>
    public new string Source { get; }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<ConfigurationProblem> Problems { get; }

    private static string FormatMessage(string source, IReadOnlyList<ConfigurationProblem> problems)
    {
        var noun = problems.Count == 1 ? "problem" : "problems";
        return $"'{source}' is invalid ({problems.Count} {noun}):{Environment.NewLine}"
            + string.Join(Environment.NewLine, problems.Select(p => "  " + p));
    }
}
