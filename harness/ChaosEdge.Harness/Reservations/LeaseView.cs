using System.Globalization;
using k8s.Models;

namespace ChaosEdge.Reservations;

/// <summary>
/// What a Lease says about its holder, and when it runs out: <c>renewTime</c> + <c>leaseDurationSeconds</c>, as
/// Kubernetes' leader election reads it (a lease without a renewal time counts from its acquisition, or from when it
/// was first seen). Times are the management cluster's (see <see cref="LabReservation"/>).
/// </summary>
internal sealed record LeaseView(string? Holder, DateTimeOffset? Acquired, DateTimeOffset Renewed, TimeSpan Duration)
{
    /// <summary>The Date header a server sends is whole seconds: one more second before a lease counts as run out.</summary>
    public static readonly TimeSpan ClockResolution = TimeSpan.FromSeconds(1);

    public static LeaseView Of(V1Lease lease, DateTimeOffset firstSeen)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var spec = lease.Spec;
        var acquired = Utc(spec?.AcquireTime);
        return new LeaseView(
            string.IsNullOrEmpty(spec?.HolderIdentity) ? null : spec.HolderIdentity,
            acquired,
            Utc(spec?.RenewTime) ?? acquired ?? firstSeen,
            TimeSpan.FromSeconds(spec?.LeaseDurationSeconds ?? 0));
    }

    /// <summary>When the holder's claim ends unless renewed.</summary>
    public DateTimeOffset Expires => Renewed + Duration;

    /// <summary>Free: released (no holder), or run out at <paramref name="now"/>.</summary>
    public bool IsFreeAt(DateTimeOffset now) => Holder is null || Expires + ClockResolution < now;

    /// <summary>"'HOLDER' since TIME (renewed N s ago, for D s)", for messages.</summary>
    public string Describe(DateTimeOffset now) => string.Create(CultureInfo.InvariantCulture,
        $"'{Holder}' since {(Acquired is { } a ? a.ToString("u", CultureInfo.InvariantCulture) : "an unknown time")} (last renewed {Math.Max(0, (now - Renewed).TotalSeconds):0} s ago, for {Duration.TotalSeconds:0} s)");

    // The library reads RFC 3339 times as UTC or local ones; a time without a kind is taken as UTC, as the API writes them.
    private static DateTimeOffset? Utc(DateTime? time) => time is { } t
        ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime())
        : null;
}
