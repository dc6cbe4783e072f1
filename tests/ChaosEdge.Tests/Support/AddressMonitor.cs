using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// Ground truth for the lab: the kernel's own address events (<c>ip -ts monitor address</c>) inside each node's network
/// namespace, mapped from their wall-clock stamps onto the harness's monotonic clock. The wall clock is not the
/// monotonic one: this machine's is adjusted while it runs (measured tens of ppm, and once enough to move a mapping made
/// at the start by 200 ms within two minutes), so the mapping is re-taken every 50 ms and each event is mapped by the
/// pair nearest to it.
/// </summary>
public sealed partial class AddressMonitor : IDisposable
{
    private readonly List<Process> processes = [];
    private readonly List<AddressEvent> events = [];
    private readonly TimeProvider clock;
    private readonly List<(DateTimeOffset Wall, long Monotonic)> pairs = [];
    private readonly ITimer calibration;

    public AddressMonitor(IReadOnlyDictionary<string, string> namespacesByNode, TimeProvider clock)
    {
        this.clock = clock;
        Calibrate();
        calibration = clock.CreateTimer(_ => Calibrate(), null, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
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
        calibration.Dispose();
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
        (DateTimeOffset Wall, long Monotonic) nearest;
        lock (pairs)
        {
            nearest = pairs.MinBy(p => (p.Wall - wall).Duration());
        }

        var timestamp = nearest.Monotonic + (long)((wall - nearest.Wall).TotalSeconds * clock.TimestampFrequency);
        lock (events)
        {
            events.Add(new AddressEvent(timestamp, node, IPAddress.Parse(match.Groups["address"].Value), match.Groups["deleted"].Success));
        }
    }

    /// <summary>One wall/monotonic pair, read back to back.</summary>
    private void Calibrate()
    {
        var monotonic = clock.GetTimestamp();
        var wall = clock.GetUtcNow();
        lock (pairs)
        {
            pairs.Add((wall, monotonic));
        }
    }

    [GeneratedRegex(@"^\[(?<time>[0-9T:.-]+)\] (?<deleted>Deleted )?\d+: \S+\s+inet (?<address>[0-9.]+)/")]
    private static partial Regex Line();
}

/// <summary>An address added to (or deleted from) a node's interface, at a harness timestamp.</summary>
public sealed record AddressEvent(long Timestamp, string Node, IPAddress Address, bool Deleted);
