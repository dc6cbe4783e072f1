using ChaosEdge.Processes;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>
    /// Removes everything the lab made — processes, namespaces, links, routes, cgroups, files — found by name, so it
    /// also cleans up after an <see cref="UpAsync(LabShape, IProgress{string}?, CancellationToken)"/> that crashed halfway or a harness that was killed. Needs root.
    /// </summary>
    public async Task<LabDownResult> DownAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        HostPrerequisites.RequireRoot();
        var removed = new List<string>();
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var processes = await LabProcessesAsync(cancellationToken).ConfigureAwait(false);
            await RemoveRuntimeAsync(keepFiles: false, removed, cancellationToken).ConfigureAwait(false);
            await RemoveSharedRouteIfLastAsync(removed, cancellationToken).ConfigureAwait(false);
            await WaitUntilGoneAsync(processes, cancellationToken).ConfigureAwait(false);
        }

        foreach (var item in removed)
        {
            progress?.Report("Removed " + item);
        }

        progress?.Report(removed.Count == 0 ? $"Lab '{Names.Lab}' does not exist; nothing to remove." : $"Lab '{Names.Lab}' is down.");
        return new LabDownResult(Names.Lab, removed);
    }

    /// <summary>Names of all labs with a directory under the lab root.</summary>
    public static IReadOnlyList<string> List(VirtualLabOptions? options = null)
    {
        var root = (options ?? new VirtualLabOptions()).Root;
        return System.IO.Directory.Exists(root)
            ? [.. System.IO.Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(LabNames.IsValid).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>How long <see cref="DownAsync"/> waits for the last of the lab to go before it says what did not.</summary>
    public static readonly TimeSpan DownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Every process of the lab, with its start time (so a reused process id is not mistaken for it): those in the
    /// lab's cgroups (cgroup v2 and the v1 cpu hierarchy) and those that entered a lab namespace without joining them.
    /// </summary>
    private async Task<List<LabProcess>> LabProcessesAsync(CancellationToken cancellationToken)
    {
        var pids = new HashSet<int>();
        foreach (var tree in new[] { SafeCgroupPath(), SafeCpuCgroupPath() })
        {
            if (tree is null || !System.IO.Directory.Exists(tree))
            {
                continue;
            }

            foreach (var procs in System.IO.Directory.EnumerateFiles(tree, "cgroup.procs", SearchOption.AllDirectories))
            {
                try
                {
                    pids.UnionWith(File.ReadAllLines(procs).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A group removed meanwhile.
                }
            }
        }

        foreach (var ns in LabNamespaces())
        {
            var result = await ProcessRunner.RunAsync("ip", ["netns", "pids", ns], cancellationToken: cancellationToken).ConfigureAwait(false);
            pids.UnionWith(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => int.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : 0).Where(p => p > 0));
        }

        return [.. pids.Select(LabProcess.Read).OfType<LabProcess>()];
    }

    /// <summary>
    /// Returns once every process of the lab has exited and its namespaces, links, cgroups and directory are gone;
    /// after <see cref="DownTimeout"/>, throws naming what is left.
    /// </summary>
    private async Task WaitUntilGoneAsync(List<LabProcess> processes, CancellationToken cancellationToken)
    {
        var started = options.TimeProvider.GetTimestamp();
        while (true)
        {
            var left = new List<string>();
            // An exited process is waited for until its parent (the host's init, mostly) has reaped it, so that no
            // trace of the lab is listed by 'ps'; one left unreaped for long holds nothing and is not waited for.
            var reapingGrace = options.TimeProvider.GetElapsedTime(started) < TimeSpan.FromSeconds(5);
            left.AddRange(processes.Where(p => p.IsPresent(countZombies: reapingGrace)).Select(p => $"process {p.Pid} ({p.Name})"));
            left.AddRange(LabNamespaces().Select(n => $"namespace '{n}'"));
            left.AddRange(LabLinks().Select(l => $"link '{l}'"));
            left.AddRange(new[] { SafeCgroupPath(), SafeCpuCgroupPath() }.OfType<string>().Where(System.IO.Directory.Exists).Select(c => $"cgroup '{c}'"));
            if (System.IO.Directory.Exists(Directory))
            {
                left.Add($"directory '{Directory}'");
            }

            if (left.Count == 0)
            {
                return;
            }

            if (options.TimeProvider.GetElapsedTime(started) > DownTimeout)
            {
                throw new Errors.ChaosEdgeException(
                    $"Lab '{Names.Lab}' is not fully down {DownTimeout.TotalSeconds:0} s after it was taken down; still there: {string.Join(", ", left)}. Run 'chaosedge lab down --name {Names.Lab}' again; if it stays, stop what holds it (a shell inside a node's namespace, say).");
            }

            // Removal is retried while waiting: a cgroup whose last process was still exiting, say.
            if (left.Any(l => !l.StartsWith("process ", StringComparison.Ordinal)))
            {
                await RemoveRuntimeAsync(keepFiles: false, [], cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A process of the lab: its id, name and start time (clock ticks after boot, field 22 of /proc/PID/stat).</summary>
    private sealed record LabProcess(int Pid, string Name, long StartTime)
    {
        public static LabProcess? Read(int pid) => Stat(pid) is { } stat ? new LabProcess(pid, stat.Name, stat.StartTime) : null;

        /// <summary>Whether the process is still there: its id has the same start time, and it runs or (with <paramref name="countZombies"/>) has exited and is not yet reaped.</summary>
        public bool IsPresent(bool countZombies) => Stat(Pid) is { } now && now.StartTime == StartTime && (countZombies || now.State != 'Z');

        private static (string Name, char State, long StartTime)? Stat(int pid)
        {
            string text;
            try
            {
                text = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ')'.
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            if (open < 0 || close < open)
            {
                return null;
            }

            var fields = text[(close + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], System.Globalization.CultureInfo.InvariantCulture, out var start)
                ? (text[(open + 1)..close], fields[0][0], start)
                : null;
        }
    }

    private bool LiveRemnantsExist() =>
        LabNamespaces().Count > 0 || LabLinks().Count > 0 || System.IO.Directory.Exists(SafeCgroupPath()) || System.IO.Directory.Exists(SafeCpuCgroupPath());

    private async Task RemoveRuntimeAsync(bool keepFiles, List<string> removed, CancellationToken cancellationToken)
    {
        // Processes first: a node's plug is pulled (cgroup.kill) before its network goes, as a power cut would.
        var cgroup = SafeCgroupPath();
        if (cgroup is not null && System.IO.Directory.Exists(cgroup))
        {
            await NodeCgroup.KillAllAsync(cgroup, cancellationToken).ConfigureAwait(false);
            NodeCgroup.RemoveTree(cgroup);
            removed.Add($"the processes and cgroup '{cgroup}'");
        }

        // Its processes are gone with the cgroup above; an exiting one may leave its cpu group a moment later.
        if (SafeCpuCgroupPath() is { } cpu && System.IO.Directory.Exists(cpu))
        {
            await Wait.UntilAsync($"The cpu cgroup '{cpu}'", "be removed once its processes have exited", _ =>
            {
                try
                {
                    NodeCgroup.RemoveTree(cpu);
                    return Task.FromResult((true, (string?)null));
                }
                catch (IOException e)
                {
                    return Task.FromResult((false, (string?)e.Message));
                }
            }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), options.TimeProvider, cancellationToken).ConfigureAwait(false);
            removed.Add($"cpu cgroup '{cpu}'");
        }

        foreach (var ns in LabNamespaces())
        {
            // Anything that entered the namespace without joining the node's cgroup.
            var pids = await ProcessRunner.RunAsync("ip", ["netns", "pids", ns], cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var pid in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await HostCommands.TryRunAsync("kill", ["-9", pid], cancellationToken).ConfigureAwait(false);
            }

            await HostCommands.TryRunAsync("ip", ["netns", "delete", ns], cancellationToken).ConfigureAwait(false);
            removed.Add($"namespace '{ns}'");
        }

        foreach (var link in LabLinks())
        {
            if (await HostCommands.TryRunAsync("ip", ["link", "delete", link], cancellationToken).ConfigureAwait(false))
            {
                removed.Add($"link '{link}'");
            }
        }

        // The switch's ARP guard on the client's port, if a run left it (its client disposes it otherwise).
        if (await HostCommands.TryRunAsync("nft", ["delete", "table", "bridge", ArpGuardTable], cancellationToken).ConfigureAwait(false))
        {
            removed.Add($"nftables table 'bridge {ArpGuardTable}'");
        }

        if (!keepFiles && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            removed.Add($"directory '{Directory}'");
        }
    }

    private async Task RemoveSharedRouteIfLastAsync(List<string> removed, CancellationToken cancellationToken)
    {
        var otherLabs = List(options).Count > 0 || AllLinks().Any(l => l.StartsWith("ce-", StringComparison.Ordinal));
        if (!otherLabs && await HostCommands.TryRunAsync("ip", ["route", "delete", "unreachable", LabAddressPlan.LabRange.ToString()], cancellationToken).ConfigureAwait(false))
        {
            removed.Add($"the unreachable route for {LabAddressPlan.LabRange} (no lab is left)");
        }

        if (!otherLabs && System.IO.Directory.Exists(NodeFilesystem.RancherMountPoint) && !System.IO.Directory.EnumerateFileSystemEntries(NodeFilesystem.RancherMountPoint).Any())
        {
            System.IO.Directory.Delete(NodeFilesystem.RancherMountPoint);
            removed.Add($"the empty mount point '{NodeFilesystem.RancherMountPoint}' of the nodes' data (no lab is left)");
        }

        if (!otherLabs && SafeCgroupPath() is { } labCgroup && Path.GetDirectoryName(labCgroup) is { } parent
            && System.IO.Directory.Exists(parent) && System.IO.Directory.GetDirectories(parent).Length == 0)
        {
            System.IO.Directory.Delete(parent);
            removed.Add($"cgroup '{parent}' (no lab is left)");
        }

        if (!otherLabs && SafeCpuCgroupPath() is { } labCpu && Path.GetDirectoryName(labCpu) is { } cpuParent
            && System.IO.Directory.Exists(cpuParent) && System.IO.Directory.GetDirectories(cpuParent).Length == 0)
        {
            System.IO.Directory.Delete(cpuParent);
            removed.Add($"cpu cgroup '{cpuParent}' (no lab is left)");
        }
    }

    private string? SafeCgroupPath()
    {
        try
        {
            return NodeCgroup.LabPath(Names.Lab);
        }
        catch (Errors.PrerequisiteMissingException)
        {
            return null;
        }
    }

    private string? SafeCpuCgroupPath() => NodeCgroup.LabCpuPath(Names.Lab);

    private List<string> LabNamespaces() =>
        System.IO.Directory.Exists("/run/netns")
            ? [.. System.IO.Directory.GetFiles("/run/netns").Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith(Names.MemberPrefix, StringComparison.Ordinal))]
            : [];

    private List<string> LabLinks() =>
        [.. AllLinks().Where(l => l == Names.Bridge || l.StartsWith(Names.MemberPrefix, StringComparison.Ordinal))];

    private static IEnumerable<string> AllLinks() =>
        System.IO.Directory.Exists("/sys/class/net") ? System.IO.Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>() : [];
}
