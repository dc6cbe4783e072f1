using System.Net;

namespace ChaosEdge.Measurement.Probes;

/// <summary>What an application probe does per sample.</summary>
public enum ApplicationProbeKind
{
    /// <summary>A new TCP connection, reset at once.</summary>
    Tcp,

    /// <summary>An HTTP GET on a new connection, expecting a status.</summary>
    Http,

    /// <summary>A new TCP connection, bytes sent, a response expected to contain given text (a PLC's poll).</summary>
    RequestResponse,
}

/// <summary>
/// A probe a campaign declares against the customer's own service: a LoadBalancer service (its external IP, found when
/// the scenario starts) or a fixed address, at a chosen cadence.
/// </summary>
/// <param name="Name">The probe's name in figures, verdicts and SLA entries (<c>edge-http</c>).</param>
/// <param name="Kind">TCP connect, HTTP GET or request/response.</param>
public sealed record ApplicationProbeSpec(string Name, ApplicationProbeKind Kind)
{
    /// <summary>A LoadBalancer service whose external address is probed; null when <see cref="Address"/> is given.</summary>
    public ServiceReference? Service { get; init; }

    /// <summary>A fixed address probed; null when <see cref="Service"/> is given.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The port; for a service, null takes the service's first port.</summary>
    public int? Port { get; init; }

    /// <summary>HTTP: the path requested.</summary>
    public string Path { get; init; } = "/";

    /// <summary>HTTP: the status that counts as success.</summary>
    public int ExpectStatus { get; init; } = 200;

    /// <summary>Request/response: what is sent (escapes such as <c>\r\n</c> already decoded).</summary>
    public string Send { get; init; } = string.Empty;

    /// <summary>Request/response: text the response must contain.</summary>
    public string Expect { get; init; } = string.Empty;

    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Where it was declared (<c>campaign.yaml:12:5</c>), for messages.</summary>
    public string Source { get; init; } = string.Empty;
}

/// <summary>A Kubernetes service by namespace and name (<c>default/edge-app</c>).</summary>
public sealed record ServiceReference(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}
