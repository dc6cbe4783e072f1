using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Reservations;

/// <summary>Keeping the reservation: a renewal every third of the duration, and giving up before others may take it.</summary>
public sealed partial class LabReservation
{
    private async Task RenewAsync()
    {
        var renewed = time.GetTimestamp();
        var deadline = options.Duration * 2 / 3;
        try
        {
            while (true)
            {
                await Task.Delay(options.RenewInterval, time, stop.Token).ConfigureAwait(false);
                while (true)
                {
                    string? taken;
                    try
                    {
                        taken = await RenewOnceAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is ChaosEdgeException or HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                    {
                        var since = time.GetElapsedTime(renewed);
                        if (since >= deadline)
                        {
                            await LoseAsync(string.Create(CultureInfo.InvariantCulture, $"no renewal succeeded for {since.TotalSeconds:0} s (others may take a lease of {options.Duration.TotalSeconds:0} s at its end); the last error: {e.Message}")).ConfigureAwait(false);
                            return;
                        }

                        await Task.Delay(options.RetryInterval, time, stop.Token).ConfigureAwait(false);
                        continue;
                    }

                    if (taken is not null)
                    {
                        await LoseAsync(taken).ConfigureAwait(false);
                        return;
                    }

                    renewed = time.GetTimestamp();
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>One renewal; null when it was written, else how the Lease was lost.</summary>
    private async Task<string?> RenewOnceAsync()
    {
        while (true)
        {
            try
            {
                var next = Copy(lease);
                next.Spec.RenewTime = Now.UtcDateTime;
                lease = await ReplaceAsync(next, stop.Token).ConfigureAwait(false);
                return null;
            }
            catch (KubeApiException e) when (e.IsConflict)
            {
                var current = await ReadAsync(stop.Token).ConfigureAwait(false);
                if (current?.Spec?.HolderIdentity != options.Identity)
                {
                    return current?.Spec?.HolderIdentity is { Length: > 0 } other ? $"'{other}' took the Lease over" : "the Lease was released or deleted by someone else";
                }

                // Still ours, changed by someone else (an annotation, say): renew on top of that version.
                lease = current;
            }
        }
    }

    private async Task LoseAsync(string reason)
    {
        LostReason = reason;
        progress.Report($"Lost the reservation of lab '{options.Lab}' (Lease {LeaseName}): {reason}. Stopping the run.");
        await lost.CancelAsync().ConfigureAwait(false);
    }
}
