using System.Globalization;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Processes;

[TestFixture]
[RequiresRoot]
[NonParallelizable]
public sealed class MeasurementPriorityTests
{
    [Test]
    public void The_session_runs_at_the_measurement_priority_while_held_and_at_its_own_after_the_last_holder()
    {
        var before = SessionNice();
        Assert.That(before, Is.GreaterThan(MeasurementPriority.Nice), "The session already runs at the measurement priority or above, so raising it cannot be observed.");

        var first = MeasurementPriority.Enter();
        var second = MeasurementPriority.Enter();
        Assert.Multiple(() =>
        {
            Assert.That(MeasurementPriority.Raised, Is.True);
            Assert.That(SessionNice(), Is.EqualTo(MeasurementPriority.Nice));
        });

        first.Dispose();
        first.Dispose();
        Assert.That(SessionNice(), Is.EqualTo(MeasurementPriority.Nice), "one holder is left, and a second dispose of the same handle is no release");

        second.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(MeasurementPriority.Raised, Is.False);
            Assert.That(SessionNice(), Is.EqualTo(before));
        });
    }

    /// <summary>The kernel's own view: <c>/autogroup-42 nice -10</c>.</summary>
    private static int SessionNice() => int.Parse(File.ReadAllText("/proc/self/autogroup").Trim().Split(' ')[^1], CultureInfo.InvariantCulture);
}
