using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChaosEdge.Errors;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// The lab's BMCs. Every node gets a management address on a network of its own (the namespace
/// <c>ce-LAB-bmc</c>, reached from the harness over the link of the same name), and on it two real management
/// endpoints that control the node's power the way a server's BMC does:
/// <list type="bullet">
/// <item>an IPMI BMC — OpenIPMI's <c>ipmi_sim</c>, one per node, RMCP+ on UDP 623 — whose chassis control runs the lab's
/// power switch;</item>
/// <item>a Redfish service over HTTPS (<c>/redfish/v1/Systems/1</c>, <c>ComputerSystem.Reset</c>) with a certificate
/// from the lab's own BMC CA, served by <c>chaosedge lab bmc-serve</c>, which also runs the power switch.</item>
/// </list>
/// Both ask for the same user and password (<c>bmc/password</c>, mode 0600), and both reach the same switch, so the
/// power state each reports is the node's real one.
/// </summary>
public sealed partial class VirtualLab
{
    /// <summary>The BMCs' login.</summary>
    public const string BmcUser = "admin";

    /// <summary>The lab's BMC directory: password, CA, certificate, the IPMI simulators' configuration and logs.</summary>
    public string BmcDirectory => Path.Combine(Directory, "bmc");

    /// <summary>The file holding the BMC password.</summary>
    public string BmcPasswordPath => Path.Combine(BmcDirectory, "password");

    /// <summary>The CA that signed the Redfish service's certificate.</summary>
    public string BmcCaPath => Path.Combine(BmcDirectory, "ca.crt");

    /// <summary>The power switch's control socket (used by the IPMI simulators' chassis control).</summary>
    public string PowerSocketPath => Path.Combine(BmcDirectory, "power.sock");

    private string BmcNamespace => Names.MemberPrefix + "bmc";

    private async Task StartBmcsAsync(LabAddressPlan plan, IReadOnlyList<LabNodeState> nodes, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(BmcDirectory);
        progress?.Report($"Creating the BMC network {plan.ManagementSubnet} (namespace '{BmcNamespace}'), with an IPMI and a Redfish endpoint per node");
        if (!File.Exists(BmcPasswordPath))
        {
            // 16 characters: IPMI passwords are at most 20 bytes.
            await File.WriteAllTextAsync(BmcPasswordPath, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "\n", cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(BmcPasswordPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        WriteBmcCertificates(nodes);
        await HostCommands.IpAsync(cancellationToken, "netns", "add", BmcNamespace).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "add", BmcNamespace, "type", "veth", "peer", "name", "mgmt0", "netns", BmcNamespace).ConfigureAwait(false);
        await HostCommands.RunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{BmcNamespace}.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.RunAsync("ip", ["netns", "exec", BmcNamespace, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "addr", "add", $"{ManagementHost(plan)}/24", "dev", BmcNamespace).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "set", BmcNamespace, "up").ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", BmcNamespace, "link", "set", "lo", "up").ConfigureAwait(false);
        foreach (var node in nodes)
        {
            await HostCommands.IpAsync(cancellationToken, "-n", BmcNamespace, "addr", "add", $"{node.ReservedBmcAddress}/24", "dev", "mgmt0").ConfigureAwait(false);
        }

        await HostCommands.IpAsync(cancellationToken, "-n", BmcNamespace, "link", "set", "mgmt0", "up").ConfigureAwait(false);

        // Everything the BMCs run lives in the lab's 'bmc' cgroup: 'lab down' ends it with the nodes.
        var cgroup = NodeCgroup.Create(Names.Lab, "bmc");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : HostPrerequisites.Find("dotnet") ?? "/usr/share/dotnet/dotnet";
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
        if (!File.Exists(cli))
        {
            throw new PrerequisiteMissingException($"The lab's Redfish service runs 'chaosedge lab bmc-serve', but '{cli}' is missing.");
        }

        var serve = $"{ShellQuote.Quote(dotnet)} {ShellQuote.Quote(cli)} lab bmc-serve --name {Names.Lab}";
        await LaunchInBmcNetworkAsync(cgroup, serve, Path.Combine(BmcDirectory, "bmc-serve.log"), cancellationToken).ConfigureAwait(false);

        var emu = Path.Combine(BmcDirectory, "bmc.emu");
        await File.WriteAllTextAsync(emu, "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n", cancellationToken).ConfigureAwait(false);
        var chassis = Path.Combine(BmcDirectory, "chassis-control");
        await File.WriteAllTextAsync(chassis, ChassisControlScript(), cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(chassis, (UnixFileMode)0b111_101_101);
        var password = (await File.ReadAllTextAsync(BmcPasswordPath, cancellationToken).ConfigureAwait(false)).Trim();
        foreach (var node in nodes)
        {
            var directory = Path.Combine(BmcDirectory, node.Name);
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "state"));
            var config = Path.Combine(directory, "lan.conf");
            await File.WriteAllTextAsync(config, IpmiConfig(node, chassis, password), cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var ipmiSim = HostPrerequisites.Find("ipmi_sim") ?? throw new PrerequisiteMissingException("The lab's IPMI BMCs need 'ipmi_sim' (Debian package 'openipmi').");
            await LaunchInBmcNetworkAsync(cgroup, $"{ipmiSim} -n -c {ShellQuote.Quote(config)} -f {ShellQuote.Quote(emu)} -s {ShellQuote.Quote(Path.Combine(directory, "state"))}", Path.Combine(directory, "ipmi_sim.log"), cancellationToken).ConfigureAwait(false);
        }

        await Wait.UntilAsync($"The BMCs of lab '{Names.Lab}'", "answer (Redfish on TCP 443, the power switch on its socket)", async token =>
        {
            var redfish = await AnswersAsync(IPAddress.Parse(nodes[0].ReservedBmcAddress), 443, TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
            return (redfish && File.Exists(PowerSocketPath), $"Redfish {(redfish ? "answers" : "does not answer")}; see '{Path.Combine(BmcDirectory, "bmc-serve.log")}'");
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), options.TimeProvider, cancellationToken).ConfigureAwait(false);
    }

    private static IPAddress ManagementHost(LabAddressPlan plan) => IPAddress.Parse(plan.ManagementSubnet.BaseAddress.ToString()[..^1] + "1");

    private async Task LaunchInBmcNetworkAsync(NodeCgroup cgroup, string command, string log, CancellationToken cancellationToken)
    {
        // nsenter (not 'ip netns exec') keeps the host's /sys, so the power switch can reach the nodes' cgroups.
        var outer = $"{cgroup.JoinScript} && exec nsenter --net=/run/netns/{BmcNamespace} {command}";
        await HostCommands.RunAsync("sh", ["-c", $"exec setsid -f sh -c {ShellQuote.Quote(outer)} </dev/null >>{ShellQuote.Quote(log)} 2>&1"], cancellationToken).ConfigureAwait(false);
    }

    private string ChassisControlScript() => $"""
        #!/bin/sh
        # Chassis control of the lab's IPMI BMCs (ipmi_sim runs 'chassis-control NODE set power 0|1' and
        # 'chassis-control NODE get power'): asks the lab's power switch, which 'chaosedge lab bmc-serve' runs.
        node=$1; verb=$2; what=$3; value=$4
        [ "$what" = power ] || {"{"} echo "only power is controlled" >&2; exit 1; {"}"}
        socket={ShellQuote.Quote(PowerSocketPath)}
        if [ "$verb" = set ]; then
            if [ "$value" = 1 ]; then action=on; else action=off; fi
            exec curl -sf --max-time 120 --unix-socket "$socket" -X POST "http://bmc/power/$node/$action"
        fi
        exec curl -sf --max-time 10 --unix-socket "$socket" "http://bmc/power/$node"

        """;

    private static string IpmiConfig(LabNodeState node, string chassis, string password) => $"""
        # IPMI BMC of lab node '{node.Name}' (OpenIPMI ipmi_sim), written by 'chaosedge lab up'.
        name "{node.Name}"
        set_working_mc 0x20
          startlan 1
            addr {node.ReservedBmcAddress} 623
            priv_limit admin
            allowed_auths_callback md5
            allowed_auths_user md5
            allowed_auths_operator md5
            allowed_auths_admin md5
            guid {Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(node.Name + node.ReservedBmcAddress)))}
          endlan
          chassis_control "{chassis} {node.Name}"
          user 2 true "{BmcUser}" "{password}" admin 10 md5

        """;

    private void WriteBmcCertificates(IReadOnlyList<LabNodeState> nodes)
    {
        var certificate = Path.Combine(BmcDirectory, "redfish.crt");
        if (File.Exists(BmcCaPath) && File.Exists(certificate))
        {
            return;
        }

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=ChaosEdge lab '{Names.Lab}' BMC CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = options.TimeProvider.GetUtcNow();
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=bmc.{Names.Lab}.lab", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var node in nodes)
        {
            names.AddIpAddress(IPAddress.Parse(node.ReservedBmcAddress));
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var leaf = request.Create(ca, now.AddMinutes(-5), now.AddYears(5), serial);
        File.WriteAllText(BmcCaPath, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(certificate, leaf.ExportCertificatePem() + "\n");
        var keyPath = Path.Combine(BmcDirectory, "redfish.key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The Redfish service's certificate and key files.</summary>
    internal (string Certificate, string Key) RedfishCertificateFiles => (Path.Combine(BmcDirectory, "redfish.crt"), Path.Combine(BmcDirectory, "redfish.key"));

    /// <summary>The lab's nodes and their BMC addresses, as built.</summary>
    internal IReadOnlyList<LabNodeState> BuiltNodes() => LabState.Read(StatePath)?.Nodes ?? [];
}
