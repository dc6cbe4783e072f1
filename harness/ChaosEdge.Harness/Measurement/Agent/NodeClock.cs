using System.Globalization;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Agent;

/// <summary>
/// Maps a node's monotonic clock onto the harness's: the node's clock is read over SSH several times (by the probe
/// agent, <c>ce-agent clock</c>), and the read with the shortest round-trip gives the offset, with half that round-trip
/// as its error bound. The node's monotonic clock, not its wall clock: a time step on the node during a run (NTP) must
/// not move the samples.
/// </summary>
/// <param name="HarnessTimestamp">Harness timestamp at the middle of the best round-trip.</param>
/// <param name="NodeNanoseconds">The node's monotonic clock (ns) read in it.</param>
/// <param name="Error">Half the best round-trip: the mapping is good to within this.</param>
/// <param name="Frequency">The harness clock's timestamp frequency.</param>
public sealed record NodeClock(long HarnessTimestamp, long NodeNanoseconds, TimeSpan Error, long Frequency)
{
    /// <param name="shell">The node.</param>
    /// <param name="agentPath">The probe agent on the node (<see cref="ProbeAgent.EnsureAsync"/>).</param>
    /// <param name="clock">The harness's clock.</param>
    /// <param name="rounds">Reads taken, default 10.</param>
    /// <param name="cancellationToken">Cancels the estimate.</param>
    public static async Task<NodeClock> EstimateAsync(INodeShell shell, string agentPath, TimeProvider clock, int rounds = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(clock);
        NodeClock? best = null;
        for (var i = 0; i < rounds; i++)
        {
            var before = clock.GetTimestamp();
            var result = await shell.RunCheckedAsync($"{agentPath} clock", cancellationToken: cancellationToken).ConfigureAwait(false);
            var after = clock.GetTimestamp();
            var error = clock.GetElapsedTime(before, after) / 2;
            if (best is null || error < best.Error)
            {
                best = new NodeClock(before + ((after - before) / 2), long.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture), error, clock.TimestampFrequency);
            }
        }

        return best!;
    }

    /// <summary>The harness timestamp of a node clock reading.</summary>
    public long ToHarness(long nodeNanoseconds) => HarnessTimestamp + (long)((nodeNanoseconds - NodeNanoseconds) * (Frequency / 1e9));
}
