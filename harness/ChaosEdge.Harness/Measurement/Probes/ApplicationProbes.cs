using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// Turns a campaign's <see cref="ApplicationProbeSpec"/> into a probe: where it points (<see cref="ResolveAsync"/>, once,
/// when the scenario starts) and what it does per sample (<see cref="Create"/>).
/// </summary>
public static class ApplicationProbes
{
    /// <summary>
    /// The probe a spec declares, against <paramref name="endpoint"/> (see <see cref="ResolveAsync"/>), at the spec's
    /// interval and timeout: <see cref="TcpConnectProbe"/>, <see cref="HttpGetProbe"/> or <see cref="RequestResponseProbe"/>.
    /// </summary>
    public static IProbe Create(ApplicationProbeSpec spec, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(endpoint);
        return spec.Kind switch
        {
            ApplicationProbeKind.Tcp => new TcpConnectProbe(spec.Name, endpoint, spec.Interval, spec.Timeout),
            ApplicationProbeKind.Http => new HttpGetProbe(spec.Name, endpoint, spec.Path, spec.ExpectStatus, spec.Interval, spec.Timeout),
            ApplicationProbeKind.RequestResponse => new RequestResponseProbe(spec.Name, endpoint, spec.Send, spec.Expect, spec.Interval, spec.Timeout),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, $"Application probe '{spec.Name}' has an unknown kind."),
        };
    }

    /// <summary>
    /// Where a spec's probe points: a fixed address with its port as given; a service's load-balancer address
    /// (<c>status.loadBalancer.ingress[0].ip</c>) with the spec's port, else the service's first port. A service that does
    /// not exist or has no load-balancer address yet, or a fixed address without a port, is a
    /// <see cref="ChaosEdgeException"/> naming the probe, where it was declared and the service.
    /// </summary>
    public static async Task<IPEndPoint> ResolveAsync(ApplicationProbeSpec spec, KubeClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(client);
        switch (spec)
        {
            case { Address: { } address, Service: null }:
                return spec.Port is { } port
                    ? new IPEndPoint(address, port)
                    : throw new ChaosEdgeException($"{Declared(spec)} probes the address '{address}' but names no port.");
            case { Service: { } service, Address: null }:
                IPEndPoint? balancer;
                try
                {
                    balancer = await client.LoadBalancerAsync(service.Namespace, service.Name, cancellationToken).ConfigureAwait(false);
                }
                catch (KubeApiException e) when (e.IsNotFound)
                {
                    throw new ChaosEdgeException($"{Declared(spec)} probes the service '{service}', which does not exist.", e);
                }

                if (balancer is null)
                {
                    throw new ChaosEdgeException($"{Declared(spec)} probes the service '{service}', which has no load-balancer address yet (is it of type LoadBalancer, and is MetalLB announcing it?).");
                }

                return spec.Port is { } given ? new IPEndPoint(balancer.Address, given) : balancer;
            default:
                throw new ChaosEdgeException($"{Declared(spec)} must name either a service or an address, not {(spec.Service is null ? "neither" : "both")}.");
        }
    }

    private static string Declared(ApplicationProbeSpec spec) =>
        spec.Source.Length == 0 ? $"Application probe '{spec.Name}'" : $"Application probe '{spec.Name}' ({spec.Source})";
}
