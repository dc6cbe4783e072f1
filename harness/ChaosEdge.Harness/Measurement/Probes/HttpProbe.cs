using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// API availability: <c>GET</c> of a URL (the API server's <c>/readyz</c> through the VIP), default every 100 ms with a 1 s
/// timeout (samples overlap), expecting 200. With <see cref="HttpConnectionMode.Fresh"/> every sample opens a new connection
/// (HTTP/1.1, <c>Connection: close</c>): what a new client sees. With <see cref="HttpConnectionMode.LongLived"/> all samples
/// share one HTTP/2 connection, as a controller or kubectl watch does, which can take tens of seconds to notice that its
/// server is gone. The server certificate is verified against the given certificate authority alone.
/// </summary>
public sealed class HttpProbe : IProbe
{
    private readonly HttpClient http;
    private readonly Uri url;
    private readonly HttpConnectionMode mode;

    public HttpProbe(string name, Uri url, X509Certificate2? certificateAuthority, HttpConnectionMode mode, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        this.url = url;
        this.mode = mode;
        Series = new ProbeSeries(name, ProbeKinds.Http, $"{url} ({(mode == HttpConnectionMode.Fresh ? "new connection per sample" : "one long-lived HTTP/2 connection")})",
            interval ?? TimeSpan.FromMilliseconds(100), timeout ?? TimeSpan.FromSeconds(1));
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = Series.Timeout,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = mode == HttpConnectionMode.Fresh ? int.MaxValue : 1,
        };
        if (certificateAuthority is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Kubernetes.KubeClient.Verify(certificateAuthority, certificate, errors),
            };
        }

        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public ProbeSeries Series { get; }

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (mode == HttpConnectionMode.Fresh)
        {
            request.Version = HttpVersion.Version11;
            request.Headers.ConnectionClose = true;
        }
        else
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Series.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), status == 200 ? ProbeOutcome.Success : ProbeOutcome.HttpStatus, (ushort)status);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>How an <see cref="HttpProbe"/> uses connections.</summary>
public enum HttpConnectionMode
{
    /// <summary>A new connection per sample.</summary>
    Fresh,

    /// <summary>One long-lived HTTP/2 connection for all samples.</summary>
    LongLived,
}
