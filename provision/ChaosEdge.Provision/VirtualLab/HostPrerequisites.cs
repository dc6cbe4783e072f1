using ChaosEdge.Errors;
using ChaosEdge.Processes;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>Checks (and, as root on Debian or Ubuntu, installs) what the virtual lab needs from the host.</summary>
public static class HostPrerequisites
{
    /// <summary>Programs the lab uses, and the Debian package that ships each.</summary>
    public static IReadOnlyList<(string Program, string Package)> Programs { get; } =
    [
        ("ip", "iproute2"),
        ("sshd", "openssh-server"),
        ("ssh", "openssh-client"),
        ("sftp", "openssh-client"),
        ("ssh-keygen", "openssh-client"),
        ("nft", "nftables"),
        ("conntrack", "conntrack"),
        ("setsid", "util-linux"),
        ("unshare", "util-linux"),
        ("timeout", "coreutils"),

        // The cluster on the lab: real etcd, keepalived, a real DNS server, and what the nodes' health checks use.
        ("etcd", "etcd-server"),
        ("etcdctl", "etcd-client"),
        ("keepalived", "keepalived"),
        ("dnsmasq", "dnsmasq-base"),
        ("curl", "curl"),
        ("dig", "bind9-dnsutils"),
        ("nsenter", "util-linux"),
        ("tar", "tar"),
        ("ipmi_sim", "openipmi"),
        ("ipmitool", "ipmitool"),

        // The lab's K3s: busybox's applets for busybox images, zstd for the air-gap image archive's format, and the
        // K3s plan's keepalived + HAProxy shape (keepalived tracks HAProxy with killall).
        ("busybox", "busybox-static"),
        ("zstd", "zstd"),
        ("haproxy", "haproxy"),
        ("killall", "psmisc"),

        // The storage scenarios' alternative probe: real fio, whose nbd engine writes to the lab's volume.
        ("fio", "fio"),
    ];

    private static readonly string[] SearchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>Throws unless the process runs as root.</summary>
    public static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new PrerequisiteMissingException(
                "The virtual lab needs root: it creates network namespaces, a bridge, routes and cgroups. Run it as root (for example with sudo).");
        }
    }

    /// <summary>The full path of <paramref name="program"/>, or <c>null</c> when it is not installed.</summary>
    public static string? Find(string program) =>
        SearchPath.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>The Debian packages whose programs are missing.</summary>
    public static IReadOnlyList<string> MissingPackages() =>
        [.. Programs.Where(p => Find(p.Program) is null).Select(p => p.Package).Distinct()];

    /// <summary>
    /// Installs missing packages with apt-get when running as root on Debian or Ubuntu (reporting what it installs),
    /// otherwise throws listing them. Package scripts are kept from starting host-wide daemons (sshd on port 22,
    /// etcd, keepalived): the lab runs its own inside its namespaces.
    /// </summary>
    public static async Task EnsureAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var missing = MissingPackages();
        if (missing.Count == 0)
        {
            return;
        }

        if (!Environment.IsPrivilegedProcess || Find("apt-get") is null || !File.Exists("/etc/debian_version"))
        {
            throw new PrerequisiteMissingException(
                $"The virtual lab needs these packages, which are not installed: {string.Join(", ", missing.Select(p => $"'{p}'"))}. Install them (as root on Debian: apt-get install {string.Join(' ', missing)}).");
        }

        progress?.Report($"Installing Debian packages: {string.Join(", ", missing)}");
        await InstallAsync(missing, cancellationToken).ConfigureAwait(false);
        var still = MissingPackages();
        if (still.Count > 0)
        {
            throw new PrerequisiteMissingException($"Packages {string.Join(", ", still.Select(p => $"'{p}'"))} are still missing after apt-get install.");
        }
    }

    /// <summary>Installs Debian packages without letting their scripts start services.</summary>
    public static async Task InstallAsync(IReadOnlyList<string> packages, CancellationToken cancellationToken = default)
    {
        const string PolicyFile = "/usr/sbin/policy-rc.d";
        var ownPolicy = !File.Exists(PolicyFile);
        if (ownPolicy)
        {
            await File.WriteAllTextAsync(PolicyFile, "#!/bin/sh\n# Written by ChaosEdge while it installs packages: do not start services.\nexit 101\n", cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(PolicyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        try
        {
            var environment = new[] { "DEBIAN_FRONTEND=noninteractive" };
            var install = await AptAsync(environment, ["install", "-y", "-q", "--no-install-recommends", .. packages], cancellationToken).ConfigureAwait(false);
            if (install.ExitCode != 0)
            {
                // A fresh machine may have no package lists yet.
                await AptAsync(environment, ["update", "-q"], cancellationToken).ConfigureAwait(false);
                install = await AptAsync(environment, ["install", "-y", "-q", "--no-install-recommends", .. packages], cancellationToken).ConfigureAwait(false);
            }

            if (install.ExitCode != 0)
            {
                throw new NodeCommandFailedException("localhost", "apt-get install " + string.Join(' ', packages), install.ExitCode, install.Stdout, install.Stderr);
            }
        }
        finally
        {
            if (ownPolicy)
            {
                File.Delete(PolicyFile);
            }
        }
    }

    private static Task<ProcessResult> AptAsync(string[] environment, string[] arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("env", [.. environment, "apt-get", .. arguments], null, TimeSpan.FromMinutes(10), cancellationToken: cancellationToken);
}
