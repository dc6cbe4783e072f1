using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using k8s.Models;

namespace ChaosEdge.Reservations;

/// <summary>
/// A lab reserved for one run with a <c>coordination.k8s.io/v1</c> Lease on a management cluster, so that two runs never
/// fault the same lab. <see cref="AcquireAsync"/> takes the Lease when it is absent, released (no holder) or run out
/// (<c>renewTime</c> + <c>leaseDurationSeconds</c> passed: its holder was killed or cut off), and otherwise waits up to
/// <see cref="ReservationOptions.Wait"/>, then fails naming the holder and since when. Every write is guarded by the
/// resourceVersion the run read, so of two runs racing for one lab exactly one wins. The holder renews every third of
/// the duration; when another run took the Lease, or no renewal succeeded for two thirds of the duration (others may
/// take it at its end), <see cref="Lost"/> is cancelled and the run must stop (its fault restored). Disposing releases it.
/// Times written and compared are the management cluster's: the offset of this machine's clock from the API server's
/// (its Date header) is corrected when it exceeds 2 s, so a skewed clock neither steals a live lease nor keeps a dead one.
/// </summary>
public sealed partial class LabReservation : IAsyncDisposable
{
    private const string PurposeAnnotation = "chaosedge.io/purpose";
    private static readonly TimeSpan SkewTolerated = TimeSpan.FromSeconds(2);
    private readonly KubeClient client;
    private readonly ReservationOptions options;
    private readonly IProgress<string> progress;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource stop = new();
    private V1Lease lease = new();
    private TimeSpan serverOffset;
    private bool skewReported;
    private Task? renewal;
    private bool released;

    private LabReservation(KubeConfig config, ReservationOptions options, IProgress<string> progress, TimeProvider time)
    {
        this.options = options;
        this.progress = progress;
        this.time = time;
        // A request that hangs must not outlast a renewal period.
        client = new KubeClient(config, options.RenewInterval < TimeSpan.FromSeconds(10) ? options.RenewInterval : TimeSpan.FromSeconds(10));
    }

    /// <summary>Cancelled when the reservation is lost: the run must stop and restore its fault.</summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>Why the reservation was lost; null while it is held.</summary>
    public string? LostReason { get; private set; }

    /// <summary>The holder whose run-out Lease this run took over (it was killed or cut off); null when the lab was free.</summary>
    public string? PreviousHolder { get; private set; }

    /// <summary>The Lease, as <c>NAMESPACE/NAME</c>.</summary>
    public string LeaseName => $"{options.Namespace}/{options.LeaseName}";

    /// <summary>This run's holder identity.</summary>
    public string Identity => options.Identity;

    /// <summary>Reserves the lab, waiting for another run's reservation up to <see cref="ReservationOptions.Wait"/>.</summary>
    /// <exception cref="LabReservedException">Another run held the lab for the whole wait.</exception>
    public static async Task<LabReservation> AcquireAsync(KubeConfig config, ReservationOptions options, IProgress<string> progress, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ChaosEdgeException(string.Join(" ", problems));
        }

        var reservation = new LabReservation(config, options, progress, time ?? TimeProvider.System);
        try
        {
            await reservation.TakeAsync(cancellationToken).ConfigureAwait(false);
            return reservation;
        }
        catch
        {
            reservation.client.Dispose();
            throw;
        }
    }

    /// <summary>Releases the reservation (see <see cref="ReleaseAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await ReleaseAsync().ConfigureAwait(false);

    /// <summary>
    /// Stops renewing and hands the lab back (no holder), so a waiting run takes it at once. A release that cannot be
    /// written is reported, not thrown: the Lease then runs out by itself one duration after its last renewal.
    /// </summary>
    public async Task ReleaseAsync()
    {
        if (released)
        {
            return;
        }

        released = true;
        await stop.CancelAsync().ConfigureAwait(false);
        if (renewal is not null)
        {
            await renewal.ConfigureAwait(false);
        }

        try
        {
            if (LostReason is null)
            {
                await WriteReleaseAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // Lost stays readable (and linked tokens valid) after the release: its source is not disposed.
            client.Dispose();
            stop.Dispose();
        }
    }

    private async Task TakeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var nextReport = TimeSpan.Zero;
        (string Version, DateTimeOffset At)? firstSeen = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = await ReadAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (current is null)
                {
                    lease = await CreateAsync(Claimed(new V1Lease { Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.Namespace } }, null), cancellationToken).ConfigureAwait(false);
                    progress.Report($"Reserved lab '{options.Lab}' (Lease {LeaseName}, holder '{Identity}')");
                    break;
                }

                var version = current.Metadata?.ResourceVersion ?? string.Empty;
                if (firstSeen?.Version != version)
                {
                    firstSeen = (version, Now);
                }

                var view = LeaseView.Of(current, firstSeen.Value.At);
                if (view.IsFreeAt(Now))
                {
                    lease = await ReplaceAsync(Claimed(current, view.Holder), cancellationToken).ConfigureAwait(false);
                    PreviousHolder = view.Holder;
                    progress.Report(view.Holder is null
                        ? $"Reserved lab '{options.Lab}' (Lease {LeaseName}, holder '{Identity}')"
                        : string.Create(CultureInfo.InvariantCulture, $"Reserved lab '{options.Lab}' (Lease {LeaseName}, holder '{Identity}'): the previous holder '{view.Holder}' stopped renewing {(Now - view.Renewed).TotalSeconds:0} s ago and its lease ran out"));
                    break;
                }

                var waited = time.GetElapsedTime(started);
                if (waited >= options.Wait)
                {
                    throw new LabReservedException(options.Lab, view.Holder!, view.Acquired, string.Create(CultureInfo.InvariantCulture,
                        $"Lab '{options.Lab}' is reserved by {view.Describe(Now)} (Lease {LeaseName}); {(options.Wait == TimeSpan.Zero ? "not waiting for it" : $"waited {options.Wait.TotalSeconds:0} s for it")}. Run again when that run has ended, or give a longer --reserve-wait."));
                }

                if (waited >= nextReport)
                {
                    progress.Report(string.Create(CultureInfo.InvariantCulture,
                        $"Lab '{options.Lab}' is reserved by {view.Describe(Now)}; waiting up to {(options.Wait - waited).TotalSeconds:0} s more for it"));
                    nextReport = waited + TimeSpan.FromSeconds(30);
                }

                var pause = options.Wait - waited < options.RetryInterval ? options.Wait - waited : options.RetryInterval;
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (KubeApiException e) when (e.IsConflict)
            {
                // Another run wrote the Lease between our read and our write (resourceVersion guard, or both creating): read again.
                continue;
            }
        }

        renewal = Task.Run(RenewAsync, CancellationToken.None);
    }

    /// <summary>This run's claim on <paramref name="current"/>: holder, times, one more transition when the holder changes.</summary>
    private V1Lease Claimed(V1Lease current, string? previousHolder)
    {
        var now = Now.UtcDateTime;
        var claimed = Copy(current);
        claimed.Metadata.Annotations ??= new Dictionary<string, string>();
        claimed.Metadata.Annotations[PurposeAnnotation] = options.Purpose;
        claimed.Spec = new V1LeaseSpec
        {
            HolderIdentity = options.Identity,
            LeaseDurationSeconds = (int)options.Duration.TotalSeconds,
            AcquireTime = now,
            RenewTime = now,
            LeaseTransitions = (current.Spec?.LeaseTransitions ?? 0) + (current.Spec is null || previousHolder == options.Identity ? 0 : 1),
        };
        return claimed;
    }

    private async Task WriteReleaseAsync()
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                var free = Copy(lease);
                free.Spec.HolderIdentity = null;
                free.Spec.RenewTime = Now.UtcDateTime;
                await ReplaceAsync(free, CancellationToken.None).ConfigureAwait(false);
                progress.Report($"Released lab '{options.Lab}' (Lease {LeaseName})");
                return;
            }
            catch (KubeApiException e) when (e.IsConflict)
            {
                var current = await ReadAsync(CancellationToken.None).ConfigureAwait(false);
                if (current?.Spec?.HolderIdentity != options.Identity)
                {
                    return;
                }

                lease = current;
            }
            catch (Exception e) when (e is ChaosEdgeException or HttpRequestException or TaskCanceledException)
            {
                progress.Report($"The reservation of lab '{options.Lab}' could not be released ({e.Message}); it runs out by itself {options.Duration.TotalSeconds:0} s after its last renewal.");
                return;
            }
        }
    }

    private static V1Lease Copy(V1Lease lease) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta
        {
            Name = lease.Metadata?.Name,
            NamespaceProperty = lease.Metadata?.NamespaceProperty,
            ResourceVersion = lease.Metadata?.ResourceVersion,
            Labels = lease.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
            Annotations = lease.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
        },
        Spec = lease.Spec is { } spec
            ? new V1LeaseSpec { HolderIdentity = spec.HolderIdentity, LeaseDurationSeconds = spec.LeaseDurationSeconds, AcquireTime = spec.AcquireTime, RenewTime = spec.RenewTime, LeaseTransitions = spec.LeaseTransitions }
            : new V1LeaseSpec(),
    };
}
