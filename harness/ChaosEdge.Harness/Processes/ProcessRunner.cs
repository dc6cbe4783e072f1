using System.Diagnostics;
using System.Text;

namespace ChaosEdge.Processes;

/// <summary>Runs a local program with an argument list (never through a shell), a timeout and cancellation.</summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="fileName"/> to completion and captures its output.</summary>
    /// <param name="fileName">Program name or path.</param>
    /// <param name="arguments">Arguments, passed as they are.</param>
    /// <param name="standardInput">Written to the program's standard input, which is then closed; <c>null</c> for none.</param>
    /// <param name="timeout">Kill the program (and its process tree) after this long; <c>null</c> waits forever.</param>
    /// <param name="timeProvider">Clock for the duration; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="cancellationToken">Kills the program when cancelled.</param>
    /// <param name="environment">Extra environment variables (how a secret reaches a program without its command line).</param>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        timeProvider ??= TimeProvider.System;
        using var process = Start(fileName, arguments, redirectInput: true, environment);
        var started = timeProvider.GetTimestamp();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its exit code tells the rest.
        }

        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t, timeProvider) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        var duration = timeProvider.GetElapsedTime(started);
        return new ProcessResult(timedOut ? -1 : process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), duration, timedOut);
    }

    /// <summary>Starts a program with redirected output (and input when asked); the caller owns the process.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, bool redirectInput, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Program '{fileName}' could not be started.");
    }

    /// <summary>Kills a process and its children, ignoring one that already exited.</summary>
    public static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
