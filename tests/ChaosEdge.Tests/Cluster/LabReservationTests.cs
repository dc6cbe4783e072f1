using System.Diagnostics;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Reservations;
using ChaosEdge.Tests.Support;
using k8s;
using k8s.Models;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// Lab reservation with a Lease on the lab's own API server (real etcd behind it): Kubernetes' Lease semantics —
/// writes guarded by the resourceVersion, a lease free once renewTime + leaseDurationSeconds has passed — and the
/// harness's reservation built on them: a live holder is waited for and named, a run-out one is taken over, a holder
/// renews and notices when another run takes its lease, and of many racing runs exactly one wins.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LabReservationTests
{
    private const string Namespace = "default";

    [Test]
    public async Task The_API_server_refuses_a_Lease_write_with_a_stale_resourceVersion()
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        try
        {
            var created = await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(Lease(name, "first", DateTime.UtcNow, 10), Namespace);
            var stale = created.Metadata.ResourceVersion;
            created.Spec.HolderIdentity = "second";
            var updated = await client.Api.CoordinationV1.ReplaceNamespacedLeaseAsync(created, name, Namespace);
            Assert.That(updated.Metadata.ResourceVersion, Is.Not.EqualTo(stale));

            created.Metadata.ResourceVersion = stale;
            created.Spec.HolderIdentity = "third";
            var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.Api.CoordinationV1.ReplaceNamespacedLeaseAsync(created, name, Namespace));
            Assert.That(refused!.Response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            var read = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(name, Namespace);
            Assert.That(read.Spec.HolderIdentity, Is.EqualTo("second"), "The refused write must have changed nothing.");

            Assert.That(async () => await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(Lease(name, "fourth", DateTime.UtcNow, 10), Namespace),
                Throws.InstanceOf<k8s.Autorest.HttpOperationException>().With.Property("Response").With.Property("StatusCode").EqualTo(HttpStatusCode.Conflict));
        }
        finally
        {
            await DeleteAsync(client, name);
        }
    }

    [Test]
    public async Task A_lease_renewed_within_its_duration_is_not_taken_and_the_refusal_names_its_holder_and_since_when()
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        var acquired = DateTime.UtcNow.AddMinutes(-5);
        var lease = Lease(LeaseName(name), "other-run-123", DateTime.UtcNow.AddSeconds(-2), 10);
        lease.Spec.AcquireTime = acquired;
        await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(lease, Namespace);
        try
        {
            var refused = await Assert.ThrowsAsync<LabReservedException>(() => LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.Zero), Log()));
            Assert.Multiple(() =>
            {
                Assert.That(refused!.Holder, Is.EqualTo("other-run-123"));
                Assert.That(refused.Since?.UtcDateTime, Is.EqualTo(acquired).Within(TimeSpan.FromMilliseconds(1)));
                Assert.That(refused.Message, Does.Contain("reserved by 'other-run-123' since " + new DateTimeOffset(acquired).ToString("u", System.Globalization.CultureInfo.InvariantCulture)));
            });
        }
        finally
        {
            await DeleteAsync(client, LeaseName(name));
        }
    }

    [Test]
    public async Task A_lease_whose_renewTime_plus_duration_has_passed_is_taken_over_and_released_at_the_end()
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        var dead = Lease(LeaseName(name), "dead-run", DateTime.UtcNow.AddSeconds(-12), 10);
        dead.Spec.LeaseTransitions = 4;
        await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(dead, Namespace);
        try
        {
            var before = DateTime.UtcNow;
            var reservation = await LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.Zero), Log());
            var held = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            Assert.Multiple(() =>
            {
                Assert.That(reservation.PreviousHolder, Is.EqualTo("dead-run"));
                Assert.That(held.Spec.HolderIdentity, Is.EqualTo(reservation.Identity));
                Assert.That(held.Spec.LeaseTransitions, Is.EqualTo(5));
                Assert.That(held.Spec.LeaseDurationSeconds, Is.EqualTo(6));
                Assert.That(held.Spec.AcquireTime, Is.EqualTo(before).Within(TimeSpan.FromSeconds(3)));
            });

            await reservation.DisposeAsync();
            var free = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            Assert.That(free.Spec.HolderIdentity, Is.Null.Or.Empty, "A released lab has no holder, so a waiting run takes it at once.");
            await using var next = await LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.Zero), Log());
            Assert.That(next.PreviousHolder, Is.Null, "Taking a released lab is no takeover.");
        }
        finally
        {
            await DeleteAsync(client, LeaseName(name));
        }
    }

    [Test]
    public async Task A_waiting_run_takes_the_lab_once_the_holder_stopped_renewing_for_its_duration_and_not_before()
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        var renewed = DateTime.UtcNow;
        await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(Lease(LeaseName(name), "stopped-run", renewed, 6), Namespace);
        try
        {
            await using var reservation = await LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.FromSeconds(30)), Log());
            var taken = DateTime.UtcNow;
            TestContext.Out.WriteLine($"taken {(taken - renewed).TotalSeconds:0.00} s after the holder's last renewal (duration 6 s)");
            Assert.That(reservation.PreviousHolder, Is.EqualTo("stopped-run"));
            // Not before renewTime + duration (+ the 1 s the server's whole-second clock may hide); within two looks after.
            Assert.That(taken - renewed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(6)).And.LessThan(TimeSpan.FromSeconds(6 + 1 + 2.5)));
        }
        finally
        {
            await DeleteAsync(client, LeaseName(name));
        }
    }

    [Test]
    public async Task The_holder_renews_its_lease_and_stops_the_run_when_another_run_takes_it_over()
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        try
        {
            await using var reservation = await LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.Zero), Log());
            var first = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            await Task.Delay(TimeSpan.FromSeconds(4.5));
            var renewed = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            Assert.That(renewed.Spec.RenewTime, Is.GreaterThan(first.Spec.RenewTime!.Value), "The holder renews every third of its 6 s duration.");
            Assert.That(reservation.Lost.IsCancellationRequested, Is.False);

            renewed.Spec.HolderIdentity = "thief";
            await client.Api.CoordinationV1.ReplaceNamespacedLeaseAsync(renewed, LeaseName(name), Namespace);
            var watch = Stopwatch.StartNew();
            while (!reservation.Lost.IsCancellationRequested)
            {
                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "The holder must notice within a renewal period that its lease was taken.");
                await Task.Delay(50);
            }

            Assert.That(reservation.LostReason, Does.Contain("'thief' took the Lease over"));
            await reservation.ReleaseAsync();
            var after = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            Assert.That(after.Spec.HolderIdentity, Is.EqualTo("thief"), "A holder that lost its lease must not release someone else's.");
        }
        finally
        {
            await DeleteAsync(client, LeaseName(name));
        }
    }

    [TestCase(false, TestName = "Of_runs_racing_for_a_lab_without_a_Lease_exactly_one_wins")]
    [TestCase(true, TestName = "Of_runs_racing_for_a_run_out_Lease_exactly_one_wins")]
    public async Task Of_runs_racing_for_one_lab_exactly_one_wins(bool runOut)
    {
        using var client = ClusterLab.Client();
        var name = Fresh();
        if (runOut)
        {
            await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(Lease(LeaseName(name), "killed-run", DateTime.UtcNow.AddSeconds(-60), 10), Namespace);
        }

        try
        {
            var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                try
                {
                    return await LabReservation.AcquireAsync(ClusterLab.KubeConfig, Options(name, wait: TimeSpan.Zero), Log());
                }
                catch (LabReservedException)
                {
                    return null;
                }
            })).ToList();
            var won = (await Task.WhenAll(attempts)).OfType<LabReservation>().ToList();
            Assert.That(won, Has.Count.EqualTo(1), "Exactly one of eight racing runs may hold the lab.");
            var lease = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName(name), Namespace);
            Assert.That(lease.Spec.HolderIdentity, Is.EqualTo(won[0].Identity));
            await won[0].DisposeAsync();
        }
        finally
        {
            await DeleteAsync(client, LeaseName(name));
        }
    }

    internal static V1Lease Lease(string name, string holder, DateTime renewed, int seconds) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1LeaseSpec { HolderIdentity = holder, AcquireTime = renewed, RenewTime = renewed, LeaseDurationSeconds = seconds },
    };

    internal static async Task DeleteAsync(KubeClient client, string name)
    {
        try
        {
            await client.Api.CoordinationV1.DeleteNamespacedLeaseAsync(name, Namespace);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private static string Fresh() => "t" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    private static string LeaseName(string lab) => "chaosedge-lab-" + lab;

    private static ReservationOptions Options(string lab, TimeSpan wait) => new()
    {
        Lab = lab, Namespace = Namespace, Wait = wait, Duration = TimeSpan.FromSeconds(6), Purpose = "LabReservationTests",
    };

    private static Progress<string> Log() => new(line => TestContext.Progress.WriteLine("reservation: " + line));
}
