using System.Globalization;
using ChaosEdge.Kubernetes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ChaosEdge.Reservations;

/// <summary>The Lease's reads and guarded writes, and the management cluster's clock read from every answer.</summary>
public sealed partial class LabReservation
{
    /// <summary>Now, on the management cluster's clock as far as it is known.</summary>
    private DateTimeOffset Now => time.GetUtcNow() + serverOffset;

    private async Task<V1Lease?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync($"GET {Path}", (c, t) => c.CoordinationV1.ReadNamespacedLeaseWithHttpMessagesAsync(options.LeaseName, options.Namespace, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private Task<V1Lease> CreateAsync(V1Lease body, CancellationToken cancellationToken) =>
        SendAsync($"POST {Path}", (c, t) => c.CoordinationV1.CreateNamespacedLeaseWithHttpMessagesAsync(body, options.Namespace, cancellationToken: t), cancellationToken);

    /// <summary>A write guarded by the resourceVersion in <paramref name="body"/>: 409 when the Lease changed since.</summary>
    private Task<V1Lease> ReplaceAsync(V1Lease body, CancellationToken cancellationToken) =>
        SendAsync($"PUT {Path}", (c, t) => c.CoordinationV1.ReplaceNamespacedLeaseWithHttpMessagesAsync(body, options.LeaseName, options.Namespace, cancellationToken: t), cancellationToken);

    private string Path => $"/apis/coordination.k8s.io/v1/namespaces/{options.Namespace}/leases/{options.LeaseName}";

    private Task<V1Lease> SendAsync(string what, Func<IKubernetes, CancellationToken, Task<HttpOperationResponse<V1Lease>>> call, CancellationToken cancellationToken) =>
        client.CallAsync(what, async (c, t) =>
        {
            using var response = await call(c, t).ConfigureAwait(false);
            if (response.Response.Headers.Date is { } date)
            {
                Observe(date);
            }

            return response.Body;
        }, cancellationToken);

    /// <summary>
    /// The server's Date is whole seconds, so its clock was within a second after it when it answered: the offset is
    /// taken only past 2 s of skew, where it matters for a lease of seconds and cannot be rounding.
    /// </summary>
    private void Observe(DateTimeOffset serverDate)
    {
        var offset = serverDate + TimeSpan.FromMilliseconds(500) - time.GetUtcNow();
        serverOffset = offset.Duration() > SkewTolerated ? offset : TimeSpan.Zero;
        if (serverOffset != TimeSpan.Zero && !skewReported)
        {
            skewReported = true;
            progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"This machine's clock is {Math.Abs(offset.TotalSeconds):0.0} s {(offset > TimeSpan.Zero ? "behind" : "ahead of")} the management cluster's; the reservation's times are the cluster's."));
        }
    }
}
