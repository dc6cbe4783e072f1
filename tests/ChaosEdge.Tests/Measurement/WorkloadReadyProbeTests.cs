using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Tests.Measurement;

public sealed class WorkloadReadyProbeTests
{
    [Test]
    public void Pods_on_the_faulted_nodes_stop_counting_when_the_fault_is_injected_and_count_again_once_its_restore_is_verified()
    {
        TimelineEvent[] marks =
        [
            new(100, TimelineEventKind.FaultInjected, "power-off of 'edge-4'"),
            new(130, TimelineEventKind.FaultTookEffect, "power-off of 'edge-4'"),
            new(400, TimelineEventKind.FaultRestored, "power-off of 'edge-4'"),
            new(450, TimelineEventKind.RestoreVerified, "power-off of 'edge-4'"),
        ];

        Assert.Multiple(() =>
        {
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 99), Is.False, "before the injection");
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 100), Is.True, "from the injection on: the API does not know yet, the clients do");
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 420), Is.True, "restored but not verified");
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 450), Is.False, "verified restored");
            Assert.That(WorkloadReadyProbe.FaultApplied([], 1000), Is.False, "no fault at all");
        });
    }

    [Test]
    public void A_second_fault_on_the_same_timeline_counts_from_its_own_injection()
    {
        TimelineEvent[] marks =
        [
            new(450, TimelineEventKind.RestoreVerified, "first"),
            new(100, TimelineEventKind.FaultInjected, "first"),
            new(600, TimelineEventKind.FaultInjected, "second"),
        ];

        Assert.Multiple(() =>
        {
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 500), Is.False);
            Assert.That(WorkloadReadyProbe.FaultApplied(marks, 600), Is.True);
        });
    }
}
