using System.Net;
using System.Text;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// A client's poll of a request/response service, the way a PLC polls its controller: per sample a new TCP connection to
/// <c>address:port</c>, the request sent, and the reply read until it contains the expected text (success; an empty
/// expectation takes any reply). A peer that closes, or a reply that fills <see cref="ProbeExchange.BufferSize"/> bytes,
/// without the text is <see cref="ProbeOutcome.Error"/>; no such reply within the timeout is
/// <see cref="ProbeOutcome.Timeout"/> (default every 100 ms, timeout 500 ms; samples overlap). Text is sent and matched as
/// UTF-8. The connection is reset when the sample ends, so nothing piles up on either side.
/// </summary>
public sealed class RequestResponseProbe : IProbe
{
    private readonly IPEndPoint endpoint;
    private readonly byte[] request;
    private readonly byte[] expect;
    private readonly Func<ReadOnlySpan<byte>, bool> answered;
    private readonly Func<ReadOnlySpan<byte>, bool, bool> judge;

    /// <param name="name">The probe's name in figures and verdicts.</param>
    /// <param name="endpoint">The address and port probed.</param>
    /// <param name="send">What is sent once connected; empty sends nothing (a service that speaks first).</param>
    /// <param name="expect">Text the reply must contain; empty takes any reply of at least one byte.</param>
    /// <param name="interval">The cadence (default 100 ms).</param>
    /// <param name="timeout">How long a sample waits for its answer (default 500 ms).</param>
    public RequestResponseProbe(string name, IPEndPoint endpoint, string send, string expect, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(expect);
        this.endpoint = endpoint;
        request = Encoding.UTF8.GetBytes(send);
        this.expect = Encoding.UTF8.GetBytes(expect);
        if (this.expect.Length > ProbeExchange.BufferSize)
        {
            throw new ArgumentException($"The expected text is longer than the {ProbeExchange.BufferSize} bytes a sample reads.", nameof(expect));
        }

        // Made once: a sample allocates no delegate of its own.
        answered = Answered;
        judge = (reply, _) => Answered(reply);
        Series = new ProbeSeries(name, ProbeKinds.RequestResponse, $"tcp://{endpoint} send \"{Escape(send)}\" expect \"{Escape(expect)}\"",
            interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromMilliseconds(500));
    }

    public ProbeSeries Series { get; }

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
        ProbeExchange.SampleAsync(endpoint, request, answered, judge, static ok => (ok ? ProbeOutcome.Success : ProbeOutcome.Error, (ushort)0),
            Series.Timeout, sentAt, clock, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool Answered(ReadOnlySpan<byte> reply) => expect.Length == 0 ? !reply.IsEmpty : reply.IndexOf(expect) >= 0;

    /// <summary>Control characters written as escapes (<c>\r\n</c>), so a target reads on one line.</summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\r' => "\\r",
                '\n' => "\\n",
                '\t' => "\\t",
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or '\x7f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
