using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Faults;

/// <summary>What the five faults share: their record, and waiting on nodes.</summary>
public abstract class FaultBase(FaultRecord record) : IFault
{
    /// <summary>Where faults keep their node-side files (restore markers, timer PIDs): the node's <c>/run</c>, gone at reboot.</summary>
    public const string NodeStateDirectory = "/run/chaosedge";

    public FaultRecord Record { get; } = record;

    public abstract string Description { get; }

    public virtual IReadOnlyCollection<string> UnreachableNodes => [];

    public abstract IReadOnlyCollection<string> EtcdMembersLost(LabInventory inventory);

    public abstract Task InjectAsync(FaultContext context, CancellationToken cancellationToken = default);

    public abstract Task<long> VerifyEffectAsync(FaultContext context, CancellationToken cancellationToken = default);

    public abstract Task RestoreAsync(FaultContext context, CancellationToken cancellationToken = default);

    public abstract Task VerifyRestoredAsync(FaultContext context, CancellationToken cancellationToken = default);

    /// <summary>The single target of a one-node fault.</summary>
    protected string Target => Record.Targets[0];

    /// <summary>The fault's duration in whole seconds (at least 1), for node-side timers.</summary>
    protected string DurationSeconds => Math.Max(1, (int)Math.Ceiling(Record.Duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    protected static IReadOnlyCollection<string> MembersAmong(LabInventory inventory, IEnumerable<string> nodes) =>
        [.. nodes.Where(n => inventory.EtcdMembers.Any(m => m.Name == n))];

    /// <summary>
    /// Whether a TCP connection to the node's SSH port is accepted within <paramref name="timeout"/>. A harness kept off
    /// the CPU past the timeout (a busy machine) wakes to the timer and the finished handshake together: when the timer
    /// comes first, the kernel is asked whether the handshake completed, and a completed one is an answer.
    /// </summary>
    protected static async Task<bool> SshPortAnswersAsync(NodeSpec node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new TcpClient(node.Address.AddressFamily);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(new IPEndPoint(node.Address, node.Ssh.Port), limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Measurement.Probes.TcpConnectProbe.HandshakeCompleted(client.Client);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until the node runs a command over SSH again (after a power cycle or a NIC restore).</summary>
    protected static Task WaitReachableAsync(FaultContext context, string node, TimeSpan timeout, CancellationToken cancellationToken) =>
        Wait.UntilAsync($"Node '{node}'", "answer over SSH again", async token =>
        {
            if (!await SshPortAnswersAsync(context.Inventory.Node(node), TimeSpan.FromSeconds(1), token).ConfigureAwait(false))
            {
                return (false, "its SSH port does not answer");
            }

            try
            {
                var result = await context.Shell(node).RunAsync("true", new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(10) }, token).ConfigureAwait(false);
                return (result.Succeeded, $"'true' exited {result.ExitCode}");
            }
            catch (Errors.ChaosEdgeException e)
            {
                return (false, e.Message);
            }
        }, timeout, TimeSpan.FromMilliseconds(200), context.Time, cancellationToken);
}
