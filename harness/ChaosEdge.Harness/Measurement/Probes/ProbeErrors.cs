using System.Net.Sockets;
using System.Security.Authentication;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>Maps what a failed sample threw to its outcome (refused, timeout, unreachable, TLS, other).</summary>
internal static class ProbeErrors
{
    public static ProbeOutcome Classify(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OperationCanceledException or TimeoutException:
                    return ProbeOutcome.Timeout;
                case AuthenticationException:
                    return ProbeOutcome.Tls;
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => ProbeOutcome.Refused,
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown => ProbeOutcome.Unreachable,
                        SocketError.TimedOut => ProbeOutcome.Timeout,
                        _ => ProbeOutcome.Error,
                    };
            }
        }

        return ProbeOutcome.Error;
    }

    /// <summary>Microseconds from <paramref name="sentAt"/> to now.</summary>
    public static int Latency(TimeProvider clock, long sentAt) =>
        (int)Math.Min(int.MaxValue, clock.GetElapsedTime(sentAt).Ticks / (TimeSpan.TicksPerMillisecond / 1000));
}
