using ChaosEdge.Reservations;
using k8s.Models;

namespace ChaosEdge.Tests.Reservations;

public sealed class LeaseViewTests
{
    private static readonly DateTime Renewed = new(2026, 12, 1, 17, 0, 0, DateTimeKind.Utc);

    [TestCase(0, false, TestName = "A_lease_just_renewed_is_held")]
    [TestCase(10, false, TestName = "A_lease_at_renewTime_plus_duration_is_still_held_for_the_servers_whole_second_clock")]
    [TestCase(11, false, TestName = "A_lease_one_second_past_its_end_is_still_held")]
    [TestCase(11.01, true, TestName = "A_lease_past_renewTime_plus_duration_plus_one_second_is_free")]
    public void A_lease_is_free_once_renewTime_plus_duration_has_passed(double secondsAfterRenewal, bool free)
    {
        var view = LeaseView.Of(Lease("run-a", Renewed, 10), DateTimeOffset.MinValue);
        Assert.That(view.IsFreeAt(new DateTimeOffset(Renewed).AddSeconds(secondsAfterRenewal)), Is.EqualTo(free));
    }

    [Test]
    public void A_released_lease_is_free_at_once()
    {
        var view = LeaseView.Of(Lease(null, Renewed, 10), DateTimeOffset.MinValue);
        Assert.That(view.IsFreeAt(new DateTimeOffset(Renewed)), Is.True);
    }

    [Test]
    public void A_lease_without_times_counts_from_when_it_was_first_seen()
    {
        var lease = new V1Lease { Spec = new V1LeaseSpec { HolderIdentity = "run-a", LeaseDurationSeconds = 10 } };
        var seen = new DateTimeOffset(Renewed);
        var view = LeaseView.Of(lease, seen);
        Assert.Multiple(() =>
        {
            Assert.That(view.IsFreeAt(seen.AddSeconds(5)), Is.False);
            Assert.That(view.IsFreeAt(seen.AddSeconds(12)), Is.True);
        });
    }

    [Test]
    public void A_lease_time_without_a_kind_is_taken_as_UTC()
    {
        var view = LeaseView.Of(Lease("run-a", DateTime.SpecifyKind(Renewed, DateTimeKind.Unspecified), 10), DateTimeOffset.MinValue);
        Assert.That(view.Renewed, Is.EqualTo(new DateTimeOffset(Renewed)));
    }

    [Test]
    public void The_description_names_the_holder_since_when_and_the_last_renewal()
    {
        var lease = Lease("ci-runner-4711-ab12cd", Renewed, 60);
        lease.Spec.AcquireTime = Renewed.AddMinutes(-20);
        Assert.That(LeaseView.Of(lease, DateTimeOffset.MinValue).Describe(new DateTimeOffset(Renewed).AddSeconds(7)),
            Is.EqualTo("'ci-runner-4711-ab12cd' since 2026-12-01 16:40:00Z (last renewed 7 s ago, for 60 s)"));
    }

    [Test]
    public void Reservation_options_list_every_problem_at_once()
    {
        var options = new ReservationOptions { Lab = "n100-lab", Namespace = string.Empty, Duration = TimeSpan.FromMilliseconds(2500), Wait = TimeSpan.FromSeconds(-1) };
        Assert.That(options.Problems(), Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(new ReservationOptions { Lab = "n100-lab", Namespace = "chaosedge" }.Problems(), Is.Empty);
            Assert.That(new ReservationOptions { Lab = "n100-lab", Namespace = "chaosedge" }.LeaseName, Is.EqualTo("chaosedge-lab-n100-lab"));
            Assert.That(new ReservationOptions { Lab = "n100-lab", Namespace = "chaosedge" }.RenewInterval, Is.EqualTo(TimeSpan.FromSeconds(20)));
        });
    }

    private static V1Lease Lease(string? holder, DateTime renewed, int seconds) => new()
    {
        Spec = new V1LeaseSpec { HolderIdentity = holder, AcquireTime = renewed, RenewTime = renewed, LeaseDurationSeconds = seconds },
    };
}
