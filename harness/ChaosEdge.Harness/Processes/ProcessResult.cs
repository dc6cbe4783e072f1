namespace ChaosEdge.Processes;

/// <summary>The outcome of a local process run.</summary>
/// <param name="ExitCode">The process's exit code; -1 when it was killed for timing out.</param>
/// <param name="Stdout">Everything it wrote to standard output.</param>
/// <param name="Stderr">Everything it wrote to standard error.</param>
/// <param name="Duration">From start to exit, on the monotonic clock.</param>
/// <param name="TimedOut">Whether it was killed because its timeout elapsed.</param>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, bool TimedOut);
