using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;

namespace ChaosEdge.Faults.PowerOff;

/// <summary>
/// Power through an IPMI BMC with <c>ipmitool -I lanplus</c> (IPMI 2.0, RMCP+). The password reaches ipmitool in its
/// environment (<c>-E</c>), never on a command line another user could read.
/// </summary>
public sealed class IpmiPowerController(string node, BmcSpec bmc) : IPowerController
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string Description => $"IPMI BMC {bmc.Address}";

    public Task PowerOffAsync(CancellationToken cancellationToken = default) => RunAsync("off", cancellationToken);

    public Task PowerOnAsync(CancellationToken cancellationToken = default) => RunAsync("on", cancellationToken);

    public async Task<bool> IsOnAsync(CancellationToken cancellationToken = default)
    {
        var output = await RunAsync("status", cancellationToken).ConfigureAwait(false);
        return output.Contains("is on", StringComparison.OrdinalIgnoreCase)
            || (output.Contains("is off", StringComparison.OrdinalIgnoreCase) ? false
                : throw new FaultInjectionException($"The IPMI BMC of node '{node}' ({bmc.Address}) gave an unknown power status: '{output.Trim()}'."));
    }

    private async Task<string> RunAsync(string action, CancellationToken cancellationToken)
    {
        var password = bmc.Password.Resolve();
        if (password.Length > 20)
        {
            throw new FaultInjectionException($"The BMC password of node '{node}' ({bmc.Password}) is longer than IPMI's 20 bytes.");
        }

        string[] arguments = ["-I", "lanplus", "-H", bmc.Address.ToString(), "-U", bmc.Username, "-E", "-C", bmc.CipherSuite.ToString(CultureInfo.InvariantCulture), "chassis", "power", action];
        var result = await ProcessRunner.RunAsync("ipmitool", arguments, timeout: Timeout, cancellationToken: cancellationToken,
            environment: new Dictionary<string, string> { ["IPMI_PASSWORD"] = password }).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new NodeCommandFailedException("localhost", $"ipmitool {string.Join(' ', arguments)}", result.ExitCode, result.Stdout, result.Stderr,
                $"The IPMI BMC of node '{node}' ({bmc.Address}) did not carry out 'chassis power {action}'.");
        }

        return result.Stdout;
    }
}
