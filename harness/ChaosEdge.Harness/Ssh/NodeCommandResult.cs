using ChaosEdge.Errors;

namespace ChaosEdge.Ssh;

/// <summary>What a node command did.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Command">The command, secrets redacted.</param>
/// <param name="ExitCode">The command's exit code.</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error.</param>
/// <param name="Duration">From the request to the exit status, on the harness's monotonic clock.</param>
public sealed record NodeCommandResult(string Node, string Command, int ExitCode, string Stdout, string Stderr, TimeSpan Duration)
{
    /// <summary>Whether the command exited 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result if the command exited 0, or throws <see cref="NodeCommandFailedException"/>.</summary>
    public NodeCommandResult EnsureSuccess() =>
        Succeeded ? this : throw new NodeCommandFailedException(Node, Command, ExitCode, Stdout, Stderr);
}
