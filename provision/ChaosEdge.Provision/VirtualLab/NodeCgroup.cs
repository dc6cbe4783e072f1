using System.Globalization;
using ChaosEdge.Errors;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// The cgroup (v2) that holds every process of one lab node. Whatever a node starts — sshd, sessions, later the
/// node runtime and its pods — lands in it, so "pull the plug" is one write to <c>cgroup.kill</c>.
/// </summary>
public sealed class NodeCgroup
{
    private NodeCgroup(string path) => Path = path;

    /// <summary>The cgroup's directory.</summary>
    public string Path { get; }

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

    /// <summary>The directory holding all of a lab's node cgroups.</summary>
    public static string LabPath(string lab) => System.IO.Path.Combine(MountPoint(), "chaosedge", lab);

    /// <summary>The cgroup of <paramref name="node"/> in <paramref name="lab"/>; created if absent.</summary>
    public static NodeCgroup Create(string lab, string node)
    {
        var path = System.IO.Path.Combine(LabPath(lab), node);
        Directory.CreateDirectory(path);
        return new NodeCgroup(path);
    }

    /// <summary>The cgroup of <paramref name="node"/>, whether or not it exists.</summary>
    public static NodeCgroup Of(string lab, string node) => new(System.IO.Path.Combine(LabPath(lab), node));

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
