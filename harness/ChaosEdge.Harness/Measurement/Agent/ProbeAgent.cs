using System.Globalization;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Agent;

/// <summary>The node-side probe agent (<c>ce-probe-agent.sh</c>, embedded in the harness): its upload and its end.</summary>
public static class ProbeAgent
{
    /// <summary>Where the agent is placed on a node.</summary>
    public const string Path = "/tmp/ce-probe-agent.sh";

    /// <summary>Uploads the agent to the node (over SFTP, as every file).</summary>
    public static async Task UploadAsync(INodeShell shell, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var local = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ce-probe-agent-{Environment.ProcessId}-{Guid.NewGuid():N}.sh");
        try
        {
            await using (var resource = typeof(ProbeAgent).Assembly.GetManifestResourceStream("ChaosEdge.Measurement.Agent.ce-probe-agent.sh")!)
            await using (var file = File.Create(local))
            {
                await resource.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            await shell.UploadAsync(local, Path, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(local);
        }
    }

    /// <summary>
    /// Ends an agent's process group: TERM, a wait of up to 2 s, then KILL, so no agent outlives its probe. (dash's kill
    /// takes a process group only as <c>kill -s SIGNAL -- -GROUP</c>.)
    /// </summary>
    public static async Task StopAsync(INodeShell shell, long processGroup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shell);
        var g = processGroup.ToString(CultureInfo.InvariantCulture);
        await shell.RunAsync(
            $"kill -s TERM -- -{g} 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kill -s 0 -- -{g} 2>/dev/null || exit 0; sleep 0.1; done; kill -s KILL -- -{g} 2>/dev/null; true",
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
