using System.Globalization;

namespace ChaosEdge.Ssh;

public sealed partial class OpenSshNodeShell
{
    /// <summary>The ssh client arguments up to and including the destination.</summary>
    /// <param name="master">The shared master connection itself.</param>
    /// <param name="dedicated">A connection of its own, not through the master (long-running streams: with OpenSSH's
    /// multiplexing, one stream ending was seen to end the others with exit code 255).</param>
    private List<string> ClientArguments(bool master, bool dedicated = false)
    {
        var arguments = CommonOptions();
        if (dedicated)
        {
            arguments[arguments.IndexOf("ControlPath=" + controlPath)] = "ControlPath=none";
        }

        arguments.AddRange(["-p", node.Ssh.Port.ToString(CultureInfo.InvariantCulture), "-l", node.Ssh.User]);
        if (master)
        {
            arguments.AddRange(["-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]);
        }
        else
        {
            arguments.AddRange(["-o", "ControlMaster=no"]);
        }

        arguments.Add(node.Address.ToString());
        return arguments;
    }

    /// <summary>Options shared by ssh and sftp: no user configuration, key-only, verified host key, the shared master.</summary>
    private List<string> CommonOptions()
    {
        List<string> arguments =
        [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-i", node.Ssh.PrivateKeyPath,
            "-o", "ConnectTimeout=" + Math.Ceiling(options.ConnectTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-o", "LogLevel=ERROR",
            "-o", "ControlPath=" + controlPath,
            "-o", "UpdateHostKeys=no",
            "-o", "CheckHostIP=no",
        ];

        if (node.Ssh.HostKeyFingerprint is { } fingerprint)
        {
            // The pinned fingerprint is the only trusted key: known_hosts files are ignored, and the check command
            // vouches for the presented key only when its fingerprint is the pinned one.
            arguments.AddRange(
            [
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "HostKeyAlias=" + HostKeyAlias,
                "-o", $"KnownHostsCommand={HostKeyCheckScript} {fingerprint} {presentedKeyFile} %H %f %t %K",
            ]);
        }
        else
        {
            arguments.AddRange(
            [
                "-o", "UserKnownHostsFile=" + node.Ssh.KnownHostsPath,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=" + (node.Ssh.TrustOnFirstUse ? "accept-new" : "yes"),
                "-o", $"KnownHostsCommand={HostKeyCheckScript} - {presentedKeyFile} %H %f %t %K",
            ]);
        }

        return arguments;
    }

    private string HostKeyAlias => "chaosedge-" + node.Name;

    private void WriteHostKeyCheckScript()
    {
        // Arguments: expected fingerprint ('-' for none), file recording the presented one, host alias, presented
        // fingerprint, key type, key. Called without the last three when ssh only asks which key types are known.
        const string Script = """
            #!/bin/sh
            [ -n "$4" ] || exit 0
            printf '%s\n' "$4" > "$2"
            [ "$4" = "$1" ] && printf '%s %s %s\n' "$3" "$5" "$6"
            exit 0

            """;
        File.WriteAllText(HostKeyCheckScript, Script.Replace("\r", string.Empty, StringComparison.Ordinal));
        File.SetUnixFileMode(HostKeyCheckScript, UnixFileMode.UserRead | UnixFileMode.UserExecute);
    }
}
