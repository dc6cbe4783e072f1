using ChaosEdge.Errors;

namespace ChaosEdge.Waiting;

/// <summary>The one way ChaosEdge waits for a condition.</summary>
public static class Wait
{
    /// <summary>
    /// Evaluates <paramref name="condition"/> every <paramref name="pollInterval"/> until it holds, or throws
    /// <see cref="GateTimeoutException"/> naming <paramref name="resource"/>, <paramref name="description"/> and
    /// <paramref name="timeout"/>. The condition may return an observation to include in that message.
    /// </summary>
    /// <param name="resource">What is waited on, as a sentence subject: <c>Node 'edge-2'</c>.</param>
    /// <param name="description">The condition as a verb phrase: <c>return to Ready</c>.</param>
    /// <param name="condition">Returns whether the condition holds and, when not, what was observed.</param>
    /// <param name="timeout">How long to wait in total.</param>
    /// <param name="pollInterval">Pause between evaluations; 100 ms by default.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task UntilAsync(
        string resource,
        string description,
        Func<CancellationToken, Task<(bool Holds, string? Observation)>> condition,
        TimeSpan timeout,
        TimeSpan? pollInterval = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        timeProvider ??= TimeProvider.System;
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        var started = timeProvider.GetTimestamp();
        string? observation = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (var holds, observation) = await condition(cancellationToken).ConfigureAwait(false);
            if (holds)
            {
                return;
            }

            if (timeProvider.GetElapsedTime(started) >= timeout)
            {
                throw new GateTimeoutException(resource, description, timeout, observation);
            }

            await Task.Delay(interval, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
