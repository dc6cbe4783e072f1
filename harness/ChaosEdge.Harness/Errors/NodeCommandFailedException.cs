using System.Text;

namespace ChaosEdge.Errors;

/// <summary>
/// A command on a node (or on the harness host) exited non-zero or timed out. The message shows node,
/// command (secrets redacted), exit code, then indented stdout and stderr.
/// </summary>
public class NodeCommandFailedException : ChaosEdgeException
{
    public NodeCommandFailedException(string node, string command, int exitCode, string stdout, string stderr, string? reason = null)
        : base(FormatMessage(node, command, exitCode, stdout, stderr, reason))
    {
        Node = node;
        Command = command;
        ExitCode = exitCode;
        Stdout = stdout;
        Stderr = stderr;
    }

    /// <summary>The node name, or <c>localhost</c> for commands run by the harness itself.</summary>
    public string Node { get; }

    /// <summary>The command, with secrets already redacted.</summary>
    public string Command { get; }

    public int ExitCode { get; }

    public string Stdout { get; }

    public string Stderr { get; }

    private static string FormatMessage(string node, string command, int exitCode, string stdout, string stderr, string? reason)
    {
        var text = new StringBuilder();
        text.Append(reason ?? $"Command on node '{node}' failed with exit code {exitCode}.");
        text.AppendLine();
        text.Append("  node: ").AppendLine(node);
        text.Append("  command: ").AppendLine(command);
        text.Append("  exit code: ").AppendLine(exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendIndented(text, "stdout", stdout);
        AppendIndented(text, "stderr", stderr);
        return text.ToString().TrimEnd();
    }

    private static void AppendIndented(StringBuilder text, string name, string content)
    {
        text.Append("  ").Append(name).AppendLine(":");
        var lines = content.TrimEnd().Split('\n');
        foreach (var line in lines.Length > 40 ? lines[^40..] : lines)
        {
            text.Append("    ").AppendLine(line.TrimEnd('\r'));
        }
    }
}
