using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// Ground truth for the lab: the kernel's own address events (<c>ip -ts monitor address</c>) inside each node's network
/// namespace, mapped from their wall-clock stamps onto the harness's monotonic clock.
/// </summary>
public sealed partial class AddressMonitor : IDisposable
{
    private readonly List<Process> processes = [];
    private readonly List<AddressEvent> events = [];
    private readonly TimeProvider clock;
    private readonly long monotonicAtStart;
    private readonly DateTimeOffset wallAtStart;

    public AddressMonitor(IReadOnlyDictionary<string, string> namespacesByNode, TimeProvider clock)
    {
        this.clock = clock;
        monotonicAtStart = clock.GetTimestamp();
        wallAtStart = clock.GetUtcNow();
        foreach (var (node, ns) in namespacesByNode)
        {
            var start = new ProcessStartInfo("ip", ["-n", ns, "-ts", "monitor", "address"]) { RedirectStandardOutput = true, UseShellExecute = false };
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, line) => Parse(node, line.Data);
            process.BeginOutputReadLine();
            processes.Add(process);
        }
    }

    /// <summary>The events seen so far, in time order.</summary>
    public IReadOnlyList<AddressEvent> Events
    {
        get
        {
            lock (events)
            {
                return [.. events.OrderBy(e => e.Timestamp)];
            }
        }
    }

    public void Dispose()
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
        }
    }

    private void Parse(string node, string? line)
    {
        var match = line is null ? null : Line().Match(line);
        if (match is not { Success: true })
        {
            return;
        }

        // ip prints local time; the harness clock's wall time is UTC.
        var local = DateTime.ParseExact(match.Groups["time"].Value, "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal);
        var wall = new DateTimeOffset(local.ToUniversalTime(), TimeSpan.Zero);
        var timestamp = monotonicAtStart + (long)((wall - wallAtStart).TotalSeconds * clock.TimestampFrequency);
        lock (events)
        {
            events.Add(new AddressEvent(timestamp, node, IPAddress.Parse(match.Groups["address"].Value), match.Groups["deleted"].Success));
        }
    }

    [GeneratedRegex(@"^\[(?<time>[0-9T:.-]+)\] (?<deleted>Deleted )?\d+: \S+\s+inet (?<address>[0-9.]+)/")]
    private static partial Regex Line();
}

/// <summary>An address added to (or deleted from) a node's interface, at a harness timestamp.</summary>
public sealed record AddressEvent(long Timestamp, string Node, IPAddress Address, bool Deleted);
