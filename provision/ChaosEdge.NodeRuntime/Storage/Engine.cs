using System.Net;
using System.Text.Json;

namespace ChaosEdge.NodeRuntime.Storage;

/// <summary>What an engine serves: the volume, its replicas and the engine-replica timeout.</summary>
internal sealed record EngineOptions(string Volume, long Size, string Node, IReadOnlyList<(string Name, string Node, IPEndPoint Endpoint)> Replicas, TimeSpan ReplicaTimeout, IPEndPoint Nbd, string StateDirectory);

/// <summary>
/// A volume's engine, with Longhorn's semantics: every write goes synchronously to every replica that is not failed
/// and is acknowledged when all of them have it; a replica that does not answer within the engine-replica timeout (8 s
/// by default) is failed and the volume carries on degraded, the I/O in flight having waited that long; a failed replica
/// whose node answers again is rebuilt from a healthy one (write-only while it catches up, read-write after).
/// </summary>
internal sealed partial class Engine(EngineOptions options, ILogger logger, TimeProvider time)
{
    private const int RebuildChunk = 1 << 20;
    private readonly SemaphoreSlim io = new(1, 1);
    private readonly List<ReplicaLink> links = [.. options.Replicas.Select(r => new ReplicaLink(r.Name, r.Node, r.Endpoint))];

    public EngineOptions Options => options;

    internal IReadOnlyList<ReplicaLink> Links => links;

    private string StatePath => Path.Combine(options.StateDirectory, $"engine-{options.Volume}.json");

    /// <summary>healthy: every replica read-write; degraded: some; faulted: none.</summary>
    public string Robustness
    {
        get
        {
            var healthy = links.Count(l => l.Mode == ReplicaMode.RW);
            return healthy == links.Count ? "healthy" : healthy > 0 ? "degraded" : "faulted";
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The replicas that were read-write when the engine last changed a mode (or all of them for a new volume) are
        // trusted; the others are rebuilt.
        var trusted = File.Exists(StatePath) ? JsonSerializer.Deserialize<string[]>(await File.ReadAllTextAsync(StatePath, cancellationToken).ConfigureAwait(false)) ?? [] : null;

        // Replicas start on their own nodes, not always before the engine (a fresh lab on a busy machine). A new volume's
        // engine keeps asking every second until each answers, for at most 30 s once one is read-write; an existing
        // volume's carries on with the trusted replicas that answer at once (the others are rebuilt), and keeps asking
        // only while none does: a volume with no trusted replica would otherwise stay faulted for good.
        var settle = time.GetTimestamp();
        while (true)
        {
            foreach (var link in links.Where(l => !l.Connected))
            {
                try
                {
                    await link.ConnectAsync(options.Volume, options.Size, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                    link.Mode = trusted is null || trusted.Contains(link.Name) ? ReplicaMode.RW : ReplicaMode.ERR;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or TimeoutException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    link.FailureReason = e.Message;
                    await link.DisposeAsync().ConfigureAwait(false);
                }
            }

            var anyReadWrite = links.Any(l => l.Mode == ReplicaMode.RW);
            if (links.All(l => l.Connected) || (anyReadWrite && (trusted is not null || time.GetElapsedTime(settle) > TimeSpan.FromSeconds(30))))
            {
                break;
            }

            if (!anyReadWrite && time.GetElapsedTime(settle) > TimeSpan.FromSeconds(5))
            {
                logger.LogWarning("Volume {Volume}: no trusted replica answers yet ({Reasons}); waiting for one.", options.Volume,
                    string.Join(", ", links.Select(l => $"{l.Name}: {l.FailureReason}")));
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }

        await SaveStateAsync().ConfigureAwait(false);
        logger.LogInformation("Engine of {Volume} ({Size} bytes) on {Node}: replicas {Modes}; NBD on {Nbd}.", options.Volume, options.Size, options.Node,
            string.Join(", ", links.Select(l => $"{l.Name}={l.Mode}")), options.Nbd);
        await Task.WhenAll(
            new NbdServer(this, options.Nbd, logger).RunAsync(cancellationToken),
            RebuildLoopAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Writes to every replica that is not failed; completes when all of them acknowledged (or were failed).</summary>
    /// <exception cref="IOException">No read-write replica took the write: the volume is faulted.</exception>
    public async Task WriteAsync(long offset, ReadOnlyMemory<byte> data, bool synced, CancellationToken cancellationToken)
    {
        await io.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FanOutAsync(synced ? ReplicaProtocol.WriteSynced : ReplicaProtocol.Write, offset, data).ConfigureAwait(false);
        }
        finally
        {
            io.Release();
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await io.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FanOutAsync(ReplicaProtocol.Flush, 0, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
        }
        finally
        {
            io.Release();
        }
    }

    /// <summary>Reads from a read-write replica, the engine's own node's first; a replica that fails the read is failed.</summary>
    public async Task<byte[]> ReadAsync(long offset, int length, CancellationToken cancellationToken)
    {
        foreach (var link in links.Where(l => l.Mode == ReplicaMode.RW).OrderBy(l => l.Node == options.Node ? 0 : 1).ToList())
        {
            try
            {
                return await link.SendAsync(ReplicaProtocol.Read, offset, ReadOnlyMemory<byte>.Empty, length).WaitAsync(options.ReplicaTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                await FailAsync(link, e.Message).ConfigureAwait(false);
            }
        }

        throw new IOException($"Volume '{options.Volume}' is faulted: no read-write replica answers.");
    }

    private async Task FanOutAsync(byte op, long offset, ReadOnlyMemory<byte> data)
    {
        var targets = links.Where(l => l.Mode != ReplicaMode.ERR).ToList();
        var sends = targets.Select(l => l.SendAsync(op, offset, data, 0).WaitAsync(options.ReplicaTimeout)).ToList();
        var anyReadWrite = false;
        for (var i = 0; i < targets.Count; i++)
        {
            try
            {
                await sends[i].ConfigureAwait(false);
                anyReadWrite |= targets[i].Mode == ReplicaMode.RW;
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                await FailAsync(targets[i], e is TimeoutException ? $"no answer within the replica timeout ({options.ReplicaTimeout.TotalSeconds:0.#} s)" : e.Message).ConfigureAwait(false);
            }
        }

        if (!anyReadWrite)
        {
            throw new IOException($"Volume '{options.Volume}' is faulted: no read-write replica took the write.");
        }
    }

    private async Task FailAsync(ReplicaLink link, string reason)
    {
        if (link.Mode == ReplicaMode.ERR)
        {
            return;
        }

        link.Mode = ReplicaMode.ERR;
        link.FailureReason = reason;
        link.RebuildProgress = 0;
        await link.DisposeAsync().ConfigureAwait(false);
        logger.LogWarning("Volume {Volume}: replica {Replica} on {Node} failed ({Reason}); the volume is {Robustness}.", options.Volume, link.Name, link.Node, reason, Robustness);
        await SaveStateAsync().ConfigureAwait(false);
    }

    private async Task SaveStateAsync()
    {
        Directory.CreateDirectory(options.StateDirectory);
        var temporary = StatePath + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(links.Where(l => l.Mode == ReplicaMode.RW).Select(l => l.Name).ToArray())).ConfigureAwait(false);
        File.Move(temporary, StatePath, overwrite: true);
    }

    /// <summary>Every second: a failed replica that answers again is rebuilt from a read-write one, chunk by chunk.</summary>
    private async Task RebuildLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
            foreach (var link in links.Where(l => l.Mode == ReplicaMode.ERR).ToList())
            {
                if (links.FirstOrDefault(l => l.Mode == ReplicaMode.RW) is not { } source)
                {
                    break;
                }

                try
                {
                    await link.ConnectAsync(options.Volume, options.Size, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or TimeoutException)
                {
                    await link.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                await RebuildAsync(link, source, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RebuildAsync(ReplicaLink target, ReplicaLink source, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        target.Mode = ReplicaMode.WO;
        target.RebuildProgress = 0;
        logger.LogInformation("Volume {Volume}: rebuilding replica {Replica} from {Source}.", options.Volume, target.Name, source.Name);
        try
        {
            for (long offset = 0; offset < options.Size; offset += RebuildChunk)
            {
                var length = (int)Math.Min(RebuildChunk, options.Size - offset);
                await io.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (target.Mode != ReplicaMode.WO || source.Mode != ReplicaMode.RW)
                    {
                        return;
                    }

                    // Under the I/O lock no write can fall between the read and the copy of this chunk; writes to the
                    // rest reach the rebuilding replica directly (it is write-only).
                    var chunk = await source.SendAsync(ReplicaProtocol.Read, offset, ReadOnlyMemory<byte>.Empty, length).WaitAsync(options.ReplicaTimeout, cancellationToken).ConfigureAwait(false);
                    await target.SendAsync(ReplicaProtocol.Write, offset, chunk, 0).WaitAsync(options.ReplicaTimeout, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    io.Release();
                }

                target.RebuildProgress = (int)((offset + length) * 100 / options.Size);
            }

            await target.SendAsync(ReplicaProtocol.Flush, 0, ReadOnlyMemory<byte>.Empty, 0).WaitAsync(options.ReplicaTimeout, cancellationToken).ConfigureAwait(false);
            target.Mode = ReplicaMode.RW;
            target.FailureReason = null;
            await SaveStateAsync().ConfigureAwait(false);
            logger.LogInformation("Volume {Volume}: replica {Replica} rebuilt in {Seconds:0.0} s; the volume is {Robustness}.", options.Volume, target.Name, time.GetElapsedTime(started).TotalSeconds, Robustness);
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            await FailAsync(target, "rebuild failed: " + e.Message).ConfigureAwait(false);
        }
    }
}
