namespace ChaosEdge.Errors;

/// <summary>One problem in a configuration file, located by file, 1-based line and column, and field path.</summary>
/// <param name="File">The file as the user named it.</param>
/// <param name="Line">1-based line; 0 when the problem concerns the whole file.</param>
/// <param name="Column">1-based column; 0 when the problem concerns the whole file.</param>
/// <param name="Field">Field path such as <c>nodes[1].address</c>; empty for syntax errors.</param>
/// <param name="Message">A sentence with quoted values.</param>
public sealed record ConfigurationProblem(string File, int Line, int Column, string Field, string Message)
{
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Field.Length > 0 ? $"{location} {Field}: {Message}" : $"{location}: {Message}";
    }
}
