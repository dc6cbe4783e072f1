using ChaosEdge.Ssh;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// A lab node's own filesystem: what a machine keeps to itself is the node's, the rest is the host's, read through.
/// <list type="bullet">
/// <item><c>/etc</c> and <c>/usr/local</c> are overlays on the host's, so files the provisioner writes there
/// (unit files, <c>/etc/rancher</c>, <c>/usr/local/bin/k3s</c>) belong to this node only;</item>
/// <item><c>/root</c>, <c>/run</c>, <c>/tmp</c>, <c>/var/log</c>, <c>/var/lib/rancher</c>, <c>/var/lib/etcd</c> (an
/// external etcd node's data) and the K3s plan's <c>/var/lib/chaosedge/k3s</c> are the node's own
/// directories — its "disk", which survives a power-off as a real disk does.</item>
/// </list>
/// Everything lives under the node's directory in the lab, so <c>lab down</c> removes it with the lab.
/// </summary>
internal sealed class NodeFilesystem
{
    /// <summary>The host directory a node's <c>/var/lib/rancher</c> is mounted on; created when missing.</summary>
    public const string RancherMountPoint = "/var/lib/rancher";

    /// <summary>Where the K3s plan keeps its install script (<see cref="K3s.K3sPlanner.InstallDirectory"/>): the node's own, not the host's.</summary>
    public const string K3sInstallMountPoint = K3s.K3sPlanner.InstallDirectory;

    /// <summary>The host directory a node's <c>/var/lib/etcd</c> (an external etcd member's data) is mounted on; created when missing.</summary>
    public const string EtcdMountPoint = "/var/lib/etcd";

    private static readonly (string Mount, string Directory)[] Binds =
    [
        ("/root", "root"), ("/run", "run"), ("/tmp", "tmp"), ("/var/log", "log"), (RancherMountPoint, "rancher"), (K3sInstallMountPoint, "chaosedge-k3s"), (EtcdMountPoint, "etcd"),
    ];

    private static readonly (string Mount, string Directory)[] Overlays = [("/etc", "etc"), ("/usr/local", "usr-local")];

    private readonly string root;

    private NodeFilesystem(string root) => this.root = root;

    /// <summary>Creates the node's directories (kept when they exist: a node's disk outlives a restart) and its base image.</summary>
    public static NodeFilesystem Prepare(string nodeDirectory)
    {
        var filesystem = new NodeFilesystem(Path.Combine(nodeDirectory, "fs"));
        foreach (var (_, directory) in Binds)
        {
            Directory.CreateDirectory(Path.Combine(filesystem.root, directory));
        }

        foreach (var (_, directory) in Overlays)
        {
            Directory.CreateDirectory(Path.Combine(filesystem.root, directory, "upper"));
            Directory.CreateDirectory(Path.Combine(filesystem.root, directory, "work"));
        }

        File.SetUnixFileMode(Path.Combine(filesystem.root, "tmp"), (UnixFileMode)0b1_111_111_111);
        File.SetUnixFileMode(Path.Combine(filesystem.root, "root"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(filesystem.root, "run", "sshd"));
        Directory.CreateDirectory(RancherMountPoint);
        Directory.CreateDirectory(K3sInstallMountPoint);
        Directory.CreateDirectory(EtcdMountPoint);
        NodeImage.Install(filesystem.UsrLocalUpper);
        return filesystem;
    }

    /// <summary>
    /// Names the cgroup the node's probe agents move into (<c>/etc/chaosedge/agent-cgroup</c>, read by <c>ce-agent</c>):
    /// the root of the cgroup v1 cpu hierarchy, so the instrument keeps a process's CPU weight instead of the lab's low
    /// one; the node's own (v2) cgroup, which a power cut kills, is left as it is. Without a v1 cpu hierarchy nothing is
    /// named (moving out of the v2 group would let an agent outlive its node's power cut).
    /// </summary>
    public void NameAgentCgroup(string? cpuMountPoint)
    {
        var hint = Path.Combine(root, "etc", "upper", "chaosedge", "agent-cgroup");
        if (cpuMountPoint is null)
        {
            File.Delete(hint);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(hint)!);
        File.WriteAllText(hint, AgentCgroupMount + "/cgroup.procs\n");
    }

    /// <summary>Where a node mounts the host's cgroup v1 cpu hierarchy for its agents ('ip netns exec' mounted a fresh /sys without it).</summary>
    private const string AgentCgroupMount = "/run/ce-agent-cgroup";

    /// <summary>The node's writable layer of <c>/usr/local</c>, as seen from the host.</summary>
    public string UsrLocalUpper => Path.Combine(root, "usr-local", "upper");

    /// <summary>
    /// Shell commands that mount the node's filesystem; run inside the node's (private) mount namespace. With a cgroup
    /// v1 cpu hierarchy (<paramref name="cpuMountPoint"/>) it is mounted for the node's agents too (see <see cref="NameAgentCgroup"/>).
    /// </summary>
    public string MountScript(string? cpuMountPoint)
    {
        var steps = new List<string>();
        foreach (var (mount, directory) in Overlays)
        {
            var layer = Path.Combine(root, directory);
            steps.Add($"mount -t overlay overlay -o {ShellQuote.Quote($"lowerdir={mount},upperdir={layer}/upper,workdir={layer}/work")} {mount}");
        }

        foreach (var (mount, directory) in Binds)
        {
            steps.Add($"mount --bind {ShellQuote.Quote(Path.Combine(root, directory))} {mount}");
        }

        if (cpuMountPoint is not null)
        {
            steps.Add($"mkdir -p {AgentCgroupMount} && mount -t cgroup -o cpu cgroup {AgentCgroupMount}");
        }

        return string.Join(" && ", steps);
    }
}
