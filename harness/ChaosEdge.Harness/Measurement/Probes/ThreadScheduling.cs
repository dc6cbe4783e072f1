using System.Runtime.InteropServices;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Raises the scheduling priority of the calling thread (Linux nice −10), so a thread that only keeps time is not kept
/// waiting behind the harness's own busy threads or a neighbour's. .NET's <see cref="Thread.Priority"/> does not reach
/// the Linux scheduler, so this sets the thread's nice value itself. Best effort: where the harness may not raise
/// priority (not root, no CAP_SYS_NICE) the thread keeps its normal one.
/// </summary>
internal static class ThreadScheduling
{
    private const int PrioProcess = 0;
    private const int RaisedNice = -10;

    /// <summary>Raises the calling thread's priority; returns whether it could.</summary>
    public static bool RaiseCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // On Linux a PRIO_PROCESS 'who' that is a thread id sets that thread's nice value alone.
            return SetPriority(PrioProcess, GetThreadId(), RaisedNice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();
}
