using System.Diagnostics;

namespace ChaosEdge.Testing;

/// <summary>
/// A noisy neighbour: one process that keeps one core busy (a shell busy loop at normal weight, outside the lab), for at
/// most <c>limit</c> whatever happens to the test (the node's <c>timeout</c> ends it), and stopped when disposed.
/// </summary>
public sealed class BusyCore : IDisposable
{
    private readonly Process process;

    private BusyCore(Process process) => this.process = process;

    /// <summary>Starts the busy loop.</summary>
    public static BusyCore Start(TimeSpan limit)
    {
        var seconds = ((long)Math.Ceiling(limit.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("timeout", ["-s", "KILL", seconds, "sh", "-c", "while :; do :; done"]) { UseShellExecute = false };
        return new BusyCore(Process.Start(start) ?? throw new InvalidOperationException("The busy loop did not start."));
    }

    /// <summary>The CPU time the busy loop has used so far (its own process, the shell's).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            var total = TimeSpan.Zero;
            foreach (var child in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(child, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == process.Id)
                    {
                        total += TimeSpan.FromSeconds((long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0);
                    }
                }
                catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
                {
                }
            }

            return total;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }
}
