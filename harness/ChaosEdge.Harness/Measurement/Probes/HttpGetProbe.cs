using System.Net;
using System.Text;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// An application's HTTP service as a new client sees it: per sample a new TCP connection to <c>address:port</c>, a plain
/// HTTP/1.1 <c>GET</c> of a path with <c>Connection: close</c>, and the status line read back (default every 100 ms,
/// timeout 500 ms; samples overlap). The expected status (default 200) succeeds; another is
/// <see cref="ProbeOutcome.HttpStatus"/> with the status in <see cref="Sample.Detail"/>; an answer that is no HTTP status
/// line, or none before the peer closes, is <see cref="ProbeOutcome.Error"/>. The connection is reset when the sample
/// ends, so nothing piles up on either side.
/// </summary>
public sealed class HttpGetProbe : IProbe
{
    private readonly IPEndPoint endpoint;
    private readonly byte[] request;
    private readonly int expectStatus;

    /// <param name="name">The probe's name in figures and verdicts.</param>
    /// <param name="endpoint">The address and port probed.</param>
    /// <param name="path">The path requested, starting with <c>/</c> (default <c>/</c>).</param>
    /// <param name="expectStatus">The status that counts as success, 100–599 (default 200).</param>
    /// <param name="interval">The cadence (default 100 ms).</param>
    /// <param name="timeout">How long a sample waits for its answer (default 500 ms).</param>
    public HttpGetProbe(string name, IPEndPoint endpoint, string path = "/", int expectStatus = 200, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Any(c => c <= ' ' || c >= '\x7f'))
        {
            throw new ArgumentException($"The path '{path}' is not an absolute HTTP path (it starts with '/' and holds no spaces or control characters).", nameof(path));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(expectStatus, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expectStatus, 599);
        this.endpoint = endpoint;
        this.expectStatus = expectStatus;
        request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {endpoint}\r\nUser-Agent: chaosedge\r\nConnection: close\r\n\r\n");
        Series = new ProbeSeries(name, ProbeKinds.Http, $"http://{endpoint}{path} expect {expectStatus}", interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromMilliseconds(500));
    }

    public ProbeSeries Series { get; }

    public ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken) =>
        ProbeExchange.SampleAsync(endpoint, request, StatusLineRead, static (answer, _) => ClientRequestProbe.Status(Encoding.ASCII.GetString(answer)),
            status => (status == expectStatus ? ProbeOutcome.Success : status == 0 ? ProbeOutcome.Error : ProbeOutcome.HttpStatus, (ushort)status),
            Series.Timeout, sentAt, clock, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Whether the status line's first 12 characters (<c>HTTP/1.1 200</c>) are in.</summary>
    private static bool StatusLineRead(ReadOnlySpan<byte> answer) => answer.Length >= 12;
}
