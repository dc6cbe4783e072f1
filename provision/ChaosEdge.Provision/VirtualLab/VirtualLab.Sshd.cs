using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>Starts the node's own sshd inside its namespace and cgroup; returns its host-key fingerprint.</summary>
    private async Task<string> StartSshdAsync(string node, string ns, IPAddress address, string nodeInterface, CancellationToken cancellationToken)
    {
        var directory = NodeDirectory(node);
        var sshDirectory = Path.Combine(directory, "ssh");
        System.IO.Directory.CreateDirectory(sshDirectory);
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "log"));
        System.IO.Directory.CreateDirectory("/run/sshd");
        var hostKey = Path.Combine(sshDirectory, "ssh_host_ed25519_key");
        await EnsureKeyAsync(hostKey, $"root@{node}", cancellationToken).ConfigureAwait(false);
        var config = Path.Combine(sshDirectory, "sshd_config");
        await File.WriteAllTextAsync(config, SshdConfig(node, address, hostKey, directory), cancellationToken).ConfigureAwait(false);

        var cgroup = NodeCgroup.Create(Names.Lab, node);
        var sshd = HostPrerequisites.Find("sshd")!;
        var log = Path.Combine(directory, "log", "sshd.log");
        var filesystem = NodeFilesystem.Prepare(directory);
        filesystem.NameAgentCgroup(NodeCgroup.CpuMountPoint());

        // setsid detaches the node from the harness (it outlives this command). The shell joins the node's cgroup
        // first: 'ip netns exec' mounts a fresh /sys, which hides the cgroup2 mount. Then the node's own UTS namespace
        // (so 'hostname' is the node's name), its own mounts (so /etc, /run, /root, /var/lib/rancher are the node's,
        // as on a machine of its own; 'ip netns exec' already made the mount namespace private), and sshd.
        // The boot script starts the node's enabled units (none on a new node; the cluster's after a power cycle).
        // The link watcher does what a real node's network manager does when its link comes back (after a NIC-down
        // fault): it restores the node's route to the service range, which the kernel drops with the link.
        var route = $"ip route replace {LabAddressPlan.ServiceRange} dev {nodeInterface}";
        var linkWatcher = $"ip -o monitor link dev {nodeInterface} | while read -r line; do case \"$line\" in *\"state UP\"*) {route} ;; esac; done";
        // A node boots in / : nothing on it may depend on the directory of whoever powered it on (a harness run from a
        // directory under /tmp, which the node does not share, made the K3s service fail at every power-on).
        var inner = $"{filesystem.MountScript(NodeCgroup.CpuMountPoint())} && cd / && hostname {ShellQuote.Quote(node)} && (setsid {NodeImage.BootScript} >/var/log/ce-boot.log 2>&1 &) && (setsid sh -c {ShellQuote.Quote(linkWatcher)} >/dev/null 2>&1 &) && exec {sshd} -D -f {ShellQuote.Quote(config)} -E {ShellQuote.Quote(log)}";
        var outer = $"{cgroup.JoinScript} && exec ip netns exec {ShellQuote.Quote(ns)} unshare --uts sh -c {ShellQuote.Quote(inner)}";
        var launch = $"exec setsid -f sh -c {ShellQuote.Quote(outer)} </dev/null >{ShellQuote.Quote(log + ".launch")} 2>&1";
        await HostCommands.RunAsync("sh", ["-c", launch], cancellationToken).ConfigureAwait(false);
        return HostKeyFingerprint.FromPublicKeyFile(hostKey + ".pub");
    }

    private async Task WaitForSshdAsync(LabNodeState node, CancellationToken cancellationToken)
    {
        try
        {
            await Wait.UntilAsync(
                $"The sshd of node '{node.Name}' ({node.Address})",
                "accept connections",
                async token => (await AnswersAsync(IPAddress.Parse(node.Address), 22, TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false), null),
                options.SshdStartTimeout,
                TimeSpan.FromMilliseconds(10),
                options.TimeProvider,
                cancellationToken).ConfigureAwait(false);
        }
        catch (GateTimeoutException e)
        {
            var log = Path.Combine(NodeDirectory(node.Name), "log", "sshd.log");
            var tail = string.Join(Environment.NewLine, new[] { log + ".launch", log }.Where(File.Exists).SelectMany(f => File.ReadLines(f).TakeLast(10)));
            throw new ChaosEdgeException($"{e.Message} Its log '{log}' ends with:{Environment.NewLine}{tail}", e);
        }
    }

    private string SshdConfig(string node, IPAddress address, string hostKey, string directory) => $"""
        # sshd of ChaosEdge virtual-lab node '{node}' (lab '{Names.Lab}'), written by 'chaosedge lab up'.
        ListenAddress {address}:22
        HostKey {hostKey}
        PidFile {Path.Combine(directory, "sshd.pid")}
        AuthorizedKeysFile {Path.Combine(Directory, "keys", "authorized_keys")}
        PermitRootLogin prohibit-password
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        # The lab root can be anywhere (CHAOSEDGE_LAB_ROOT), including under a world-writable directory.
        StrictModes no
        Subsystem sftp internal-sftp
        # MaxSessions stays at OpenSSH's default (10), as on a stock node: the harness's one connection per node keeps
        # within it (NodeShellOptions.MaxChannels).
        MaxStartups 100:30:200
        PrintMotd no
        LogLevel INFO

        """;
}
