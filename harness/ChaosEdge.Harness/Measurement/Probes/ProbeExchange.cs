using System.Buffers;
using System.Net;
using System.Net.Sockets;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// One sample's exchange on a new TCP connection: connect, send the request, read until the answer is complete, the peer
/// closes or the buffer is full, all within one deadline; the connection is then reset (linger 0), so neither side keeps
/// state behind it. Shared by the probes that speak a protocol over a fresh connection.
/// </summary>
internal static class ProbeExchange
{
    /// <summary>The most bytes read per sample: a probe reads a status line or a short reply, never a body.</summary>
    public const int BufferSize = 4096;

    /// <summary>
    /// One sample of an exchange (<see cref="RunAsync"/>) under <paramref name="timeout"/> on <paramref name="clock"/>:
    /// its result made the sample's outcome and detail by <paramref name="outcome"/>; a refused, reset or timed-out
    /// exchange classified by <see cref="ProbeErrors.Classify"/>. The probes' shared sampling, so they differ only in
    /// what they send and how they read the answer.
    /// </summary>
    public static async ValueTask<Sample> SampleAsync<T>(
        IPEndPoint endpoint, ReadOnlyMemory<byte> request, Func<ReadOnlySpan<byte>, bool> complete, Func<ReadOnlySpan<byte>, bool, T> judge,
        Func<T, (ProbeOutcome Outcome, ushort Detail)> outcome, TimeSpan timeout, long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(clock);
        using var timeoutSource = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            var (result, detail) = outcome(await RunAsync(endpoint, request, complete, judge, linked.Token).ConfigureAwait(false));
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), result, detail);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    /// <summary>
    /// Runs the exchange and hands what was received to <paramref name="judge"/>. <paramref name="complete"/> says, for
    /// everything received so far, whether the answer is complete (reading stops). Connect and socket errors and the
    /// deadline's cancellation are thrown, as <see cref="ProbeErrors.Classify"/> expects them.
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="request">What is sent once connected (nothing when empty).</param>
    /// <param name="complete">Whether what was received so far is a complete answer.</param>
    /// <param name="judge">Turns the bytes received and whether the peer closed first into the result.</param>
    /// <param name="deadline">Cancelled at the sample's timeout.</param>
    public static async ValueTask<T> RunAsync<T>(
        IPEndPoint endpoint, ReadOnlyMemory<byte> request, Func<ReadOnlySpan<byte>, bool> complete, Func<ReadOnlySpan<byte>, bool, T> judge,
        CancellationToken deadline)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await socket.ConnectAsync(endpoint, deadline).ConfigureAwait(false);
            if (!request.IsEmpty)
            {
                await socket.SendAsync(request, SocketFlags.None, deadline).ConfigureAwait(false);
            }

            var read = 0;
            var closed = false;
            while (read < BufferSize && !complete(buffer.AsSpan(0, read)))
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read, BufferSize - read), SocketFlags.None, deadline).ConfigureAwait(false);
                if (n == 0)
                {
                    closed = true;
                    break;
                }

                read += n;
            }

            return judge(buffer.AsSpan(0, read), closed);
        }
        finally
        {
            // Closed first: the buffer goes back to the pool only once no receive can still write into it.
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
