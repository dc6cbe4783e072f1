using System.Diagnostics;
using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Secrets;

namespace ChaosEdge.Cli.Terminal;

/// <summary>How the command prints progress and errors; exit codes are those of every chaosedge command.</summary>
internal static class Output
{
    /// <summary>The run completed and everything passed.</summary>
    public const int Success = 0;

    /// <summary>The run completed and something failed its check.</summary>
    public const int Failed = 1;

    /// <summary>The run could not be completed (invalid input, missing prerequisite, lab unusable).</summary>
    public const int CouldNotComplete = 2;

    /// <summary>A progress sink that prints each step with the time since the command started.</summary>
    public static IProgress<string> Progress()
    {
        var clock = Stopwatch.StartNew();
        return new SynchronousProgress(line =>
            Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture),6}s] {SecretRedactor.Redact(line)}"));
    }

    /// <summary>Runs a command body, turning ChaosEdge's errors into one clear message and exit code 2.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("chaosedge: cancelled.");
            return CouldNotComplete;
        }
        catch (ChaosEdgeException e)
        {
            await Console.Error.WriteLineAsync("chaosedge: " + SecretRedactor.Redact(e.Message));
            return CouldNotComplete;
        }
    }

    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
