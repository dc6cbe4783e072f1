using System.Collections.Concurrent;
using System.Net;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Storage;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Volume I/O: a 4 KiB write with FUA (acknowledged only once on stable storage on every replica) to the volume's block
/// device over NBD every 20 ms, each timed from send to acknowledgement, with the next sent on time whatever the last
/// is doing — so an engine waiting out a dead replica shows as the stall it is (latency), and a volume that refuses
/// writes as failures. Every block carries its sequence number and a checksum; <see cref="VerifyAsync"/> reads the
/// volume back afterwards and finds any acknowledged write that was lost or damaged.
/// </summary>
/// <param name="name">Probe name (<c>volume-write</c>).</param>
/// <param name="endpoint">The engine's NBD endpoint.</param>
/// <param name="export">The export (the volume's name).</param>
/// <param name="slots">Blocks written round-robin (default 2048: 8 MiB at the start of the volume).</param>
/// <param name="interval">Default 20 ms (50 writes a second).</param>
/// <param name="timeout">Default 30 s: longer than any engine-replica timeout, so a stall is measured, not cut off.</param>
public sealed class VolumeWriteProbe(string name, IPEndPoint endpoint, string export, int slots = 2048, TimeSpan? interval = null, TimeSpan? timeout = null) : IVolumeProbe
{
    private readonly ConcurrentDictionary<int, long> acknowledged = new();
    private readonly SemaphoreSlim connecting = new(1, 1);
    private NbdClient? client;
    private long sequence;
    private long lastConnectAttempt;

    public ProbeSeries Series { get; } = new(name, ProbeKinds.VolumeWrite, $"nbd://{endpoint}/{export}", interval ?? TimeSpan.FromMilliseconds(20), timeout ?? TimeSpan.FromSeconds(30));

    private long acknowledgedCount;

    /// <summary>Writes acknowledged so far.</summary>
    public long Acknowledged => Interlocked.Read(ref acknowledgedCount);

    public async Task StartAsync(CancellationToken cancellationToken = default) =>
        client = await NbdClient.ConnectAsync(endpoint, export, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        var seq = Interlocked.Increment(ref sequence);
        var slot = (int)(seq % slots);
        try
        {
            var nbd = await ConnectionAsync(clock, cancellationToken).ConfigureAwait(false);
            await nbd.WriteAsync((long)slot * ProbeBlock.Size, ProbeBlock.Create(seq, slot), fua: true).WaitAsync(Series.Timeout, cancellationToken).ConfigureAwait(false);
            acknowledged.AddOrUpdate(slot, seq, (_, previous) => Math.Max(previous, seq));
            Interlocked.Increment(ref acknowledgedCount);
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.Success, 0);
        }
        catch (TimeoutException)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.Timeout, 0);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    /// <summary>The connection, re-established (at most twice a second) after it broke.</summary>
    private async Task<NbdClient> ConnectionAsync(TimeProvider clock, CancellationToken cancellationToken)
    {
        if (client is { Broken: false } current)
        {
            return current;
        }

        await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (client is { Broken: false } again)
            {
                return again;
            }

            if (clock.GetElapsedTime(Interlocked.Read(ref lastConnectAttempt)) < TimeSpan.FromMilliseconds(500))
            {
                throw new IOException("The volume's NBD connection is down.");
            }

            Interlocked.Exchange(ref lastConnectAttempt, clock.GetTimestamp());
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            client = await NbdClient.ConnectAsync(endpoint, export, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return client;
        }
        finally
        {
            connecting.Release();
        }
    }

    /// <summary>
    /// Reads every slot that holds an acknowledged write back through a new connection: each must hold that write or a
    /// later one the probe sent, intact. Run after the volume has recovered.
    /// </summary>
    public async Task<VolumeVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        await using var reader = await NbdClient.ConnectAsync(endpoint, export, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var sent = Interlocked.Read(ref sequence);
        var lost = new List<string>();
        var checkedSlots = 0;
        const int Batch = 64;
        for (var first = 0; first < slots; first += Batch)
        {
            var count = Math.Min(Batch, slots - first);
            var data = await reader.ReadAsync((long)first * ProbeBlock.Size, count * ProbeBlock.Size).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            checkedSlots += VolumeReadBack.Check(acknowledged, sent, data, first, lost);
        }

        return new VolumeVerification(checkedSlots, Interlocked.Read(ref acknowledgedCount), lost);
    }

    public async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
