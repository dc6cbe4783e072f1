using ChaosEdge.Errors;
using ChaosEdge.Processes;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>Runs commands on the harness host for the lab (ip, sysctl, ssh-keygen), turning failures into exceptions.</summary>
internal static class HostCommands
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken, string? input = null)
    {
        var list = arguments.ToList();
        var result = await ProcessRunner.RunAsync(program, list, input, DefaultTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new NodeCommandFailedException("localhost", program + " " + string.Join(' ', list), result.ExitCode, result.Stdout, result.Stderr);
        }

        return result.Stdout;
    }

    /// <summary>Runs a command and reports only whether it succeeded; for cleanup of things that may already be gone.</summary>
    public static async Task<bool> TryRunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(program, arguments, null, DefaultTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    public static Task<string> IpAsync(CancellationToken cancellationToken, params string[] arguments) => RunAsync("ip", arguments, cancellationToken);
}
