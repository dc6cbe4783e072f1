using ChaosEdge.Processes;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>
    /// Removes everything the lab made — processes, namespaces, links, routes, cgroups, files — found by name, so it
    /// also cleans up after an <see cref="UpAsync"/> that crashed halfway or a harness that was killed. Needs root.
    /// </summary>
    public async Task<LabDownResult> DownAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        HostPrerequisites.RequireRoot();
        var removed = new List<string>();
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await RemoveRuntimeAsync(keepFiles: false, removed, cancellationToken).ConfigureAwait(false);
            await RemoveSharedRouteIfLastAsync(removed, cancellationToken).ConfigureAwait(false);
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
