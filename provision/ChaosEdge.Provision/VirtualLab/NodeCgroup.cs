using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Ssh;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// The cgroup (v2) that holds every process of one lab node. Whatever a node starts — sshd, sessions, later the
/// node runtime and its pods — lands in it, so "pull the plug" is one write to <c>cgroup.kill</c>.
/// <para>
/// The lab as a whole runs at a low CPU weight (<see cref="LowerLabCpuWeight"/>), so the harness measuring it is
/// never queued behind it: on a 2-core machine with <c>sched_autogroup</c> every node session, SSH login and pod
/// otherwise gets as much CPU as the harness, which then misses its 10 ms ticks by 100 ms and more while a failover
/// makes the nodes busy. The weight only matters when the CPU is contended; an idle harness leaves the lab all of it.
/// Where the cpu controller is a cgroup v1 hierarchy of its own (hybrid hosts), each node also has a group there.
/// </para>
/// </summary>
public sealed class NodeCgroup
{
    /// <summary>The lab's <c>cpu.shares</c> on a cgroup v1 cpu hierarchy (a process at nice 0 has 1024).</summary>
    public const int LabCpuShares = 128;

    /// <summary>The lab's <c>cpu.weight</c> on cgroup v2 (a cgroup's default is 100): the same eighth.</summary>
    public const int LabCpuWeight = 12;

    private NodeCgroup(string path, string? cpuPath)
    {
        Path = path;
        CpuPath = cpuPath;
    }

    /// <summary>The cgroup's directory.</summary>
    public string Path { get; }

    /// <summary>The node's group in the cgroup v1 cpu hierarchy; null where the cpu controller is in cgroup v2.</summary>
    public string? CpuPath { get; }

    /// <summary>Shell commands that move the shell running them (<c>$$</c>) into the node's cgroup, and its cpu group.</summary>
    public string JoinScript => CpuPath is null
        ? $"echo $$ > {ShellQuote.Quote(ProcsFile)}"
        : $"echo $$ > {ShellQuote.Quote(ProcsFile)} && echo $$ > {ShellQuote.Quote(System.IO.Path.Combine(CpuPath, "cgroup.procs"))}";

    /// <summary>The cgroup2 mount point (<c>/sys/fs/cgroup</c> on unified hosts, <c>/sys/fs/cgroup/unified</c> on hybrid ones).</summary>
    public static string MountPoint()
    {
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "cgroup2")
            {
                return fields[1];
            }
        }

        throw new PrerequisiteMissingException("The virtual lab needs a cgroup v2 hierarchy, and none is mounted (mount -t cgroup2 none /sys/fs/cgroup).");
    }

    /// <summary>
    /// The mount point of a cgroup v1 hierarchy that holds the cpu controller (<c>/sys/fs/cgroup/cpu</c>,
    /// <c>/sys/fs/cgroup/cpu,cpuacct</c>); null on unified hosts, where cpu is a cgroup v2 controller.
    /// </summary>
    public static string? CpuMountPoint()
    {
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 3 && fields[2] == "cgroup" && fields[3].Split(',').Contains("cpu", StringComparer.Ordinal))
            {
                return fields[1];
            }
        }

        return null;
    }

    /// <summary>The directory holding all of a lab's node cgroups.</summary>
    public static string LabPath(string lab) => System.IO.Path.Combine(MountPoint(), "chaosedge", lab);

    /// <summary>The lab's group in the cgroup v1 cpu hierarchy; null where there is none.</summary>
    public static string? LabCpuPath(string lab) => CpuMountPoint() is { } cpu ? System.IO.Path.Combine(cpu, "chaosedge", lab) : null;

    /// <summary>
    /// The cgroup of <paramref name="node"/> in <paramref name="lab"/> (and its cpu group); created if absent, with the
    /// lab's CPU weight set again (another lab's 'lab down' may have removed the shared group meanwhile).
    /// </summary>
    public static NodeCgroup Create(string lab, string node)
    {
        LowerLabCpuWeight(lab);
        var cgroup = Of(lab, node);
        Directory.CreateDirectory(cgroup.Path);
        if (cgroup.CpuPath is not null)
        {
            Directory.CreateDirectory(cgroup.CpuPath);
        }

        return cgroup;
    }

    /// <summary>The cgroup of <paramref name="node"/>, whether or not it exists.</summary>
    public static NodeCgroup Of(string lab, string node) =>
        new(System.IO.Path.Combine(LabPath(lab), node), LabCpuPath(lab) is { } cpu ? System.IO.Path.Combine(cpu, node) : null);

    /// <summary>
    /// Gives every lab together one eighth of a process's CPU weight against the rest of the host (all labs share the
    /// <c>chaosedge</c> group; inside it each lab, and each node of a lab, has an equal part). Returns what it set, or
    /// why it could not: the lab works either way, but its measurements are then less sharp.
    /// </summary>
    public static string LowerLabCpuWeight(string lab)
    {
        try
        {
            if (LabCpuPath(lab) is { } cpu)
            {
                Directory.CreateDirectory(cpu);
                var shares = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(cpu)!, "cpu.shares");
                File.WriteAllText(shares, LabCpuShares.ToString(CultureInfo.InvariantCulture));
                return $"cpu.shares {LabCpuShares} in '{System.IO.Path.GetDirectoryName(shares)}'";
            }

            var root = MountPoint();
            var labPath = LabPath(lab);
            var all = System.IO.Path.GetDirectoryName(labPath)!;
            Directory.CreateDirectory(labPath);
            if (!File.ReadAllText(System.IO.Path.Combine(root, "cgroup.controllers")).Split(' ', '\n').Contains("cpu", StringComparer.Ordinal))
            {
                return $"not lowered: the cgroup v2 hierarchy at '{root}' has no cpu controller";
            }

            foreach (var parent in new[] { root, all, labPath })
            {
                File.WriteAllText(System.IO.Path.Combine(parent, "cgroup.subtree_control"), "+cpu");
            }

            File.WriteAllText(System.IO.Path.Combine(all, "cpu.weight"), LabCpuWeight.ToString(CultureInfo.InvariantCulture));
            return $"cpu.weight {LabCpuWeight} in '{all}'";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"not lowered: {e.Message}";
        }
    }

    /// <summary>The file a process writes its PID to in order to join.</summary>
    public string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>PIDs currently in the cgroup; empty when it does not exist.</summary>
    public IReadOnlyList<int> Processes()
    {
        try
        {
            return [.. File.ReadAllLines(ProcsFile).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            return [];
        }
    }

    /// <summary>Kills every process of a cgroup tree at once (SIGKILL, no clean shutdown) and waits until it is empty.</summary>
    public static async Task KillAllAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        await File.WriteAllTextAsync(System.IO.Path.Combine(path, "cgroup.kill"), "1", cancellationToken).ConfigureAwait(false);
        var events = System.IO.Path.Combine(path, "cgroup.events");
        for (var i = 0; i < 500 && File.ReadAllText(events).Contains("populated 1", StringComparison.Ordinal); i++)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a cgroup tree (which must be empty of processes), deepest first.</summary>
    public static void RemoveTree(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        foreach (var child in Directory.GetDirectories(path))
        {
            RemoveTree(child);
        }

        Directory.Delete(path);
    }
}
