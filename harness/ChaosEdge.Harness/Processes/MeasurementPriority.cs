using System.Globalization;

namespace ChaosEdge.Processes;

/// <summary>
/// Gives the harness the CPU before the cluster it measures while probes run. Linux's scheduler (with
/// <c>sched_autogroup</c>, the default) shares the CPU equally between sessions, not processes: every virtual-lab node,
/// every SSH login into one and every pod is a session of its own, so on a 2-core machine the harness got one share in
/// dozens and missed 10 ms ticks by up to 300 ms while a failover made the nodes busy — long enough to make an SLA
/// verdict inconclusive. On hardware the harness has a machine of its own; here its session's autogroup is raised to
/// <see cref="Nice"/> (about nine shares to each other session's one) for as long as a measurement runs, and put back
/// after the last. The harness uses a few percent of a core, so the nodes lose nothing they need. Without the right
/// (not root) or without autogroups it changes nothing and says so in <see cref="Raised"/>.
/// </summary>
public static class MeasurementPriority
{
    /// <summary>The autogroup nice value while measuring: -10.</summary>
    public const int Nice = -10;

    private const string AutogroupFile = "/proc/self/autogroup";
    private static readonly Lock Gate = new();
    private static int holders;
    private static int? previous;

    /// <summary>Whether the harness's session currently runs at <see cref="Nice"/>.</summary>
    public static bool Raised { get; private set; }

    /// <summary>Raises the priority until the returned handle (and every other one) is disposed.</summary>
    public static IDisposable Enter()
    {
        lock (Gate)
        {
            if (holders++ == 0 && Read() is { } current && current > Nice && Write(Nice))
            {
                previous = current;
                Raised = true;
            }
        }

        return new Holder();
    }

    private static void Leave()
    {
        lock (Gate)
        {
            if (--holders == 0 && previous is { } value)
            {
                Write(value);
                previous = null;
                Raised = false;
            }
        }
    }

    /// <summary>The session's autogroup nice value (<c>/autogroup-42 nice 0</c>); null without autogroups.</summary>
    private static int? Read()
    {
        try
        {
            var text = File.ReadAllText(AutogroupFile).Trim();
            var at = text.LastIndexOf(' ');
            return at > 0 && int.TryParse(text.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nice) ? nice : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool Write(int nice)
    {
        try
        {
            File.WriteAllText(AutogroupFile, nice.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // EPERM without CAP_SYS_NICE; EINVAL when autogroups are off.
            return false;
        }
    }

    private sealed class Holder : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                Leave();
            }
        }
    }
}
