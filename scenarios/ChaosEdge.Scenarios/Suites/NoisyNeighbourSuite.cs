using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;
using ChaosEdge.Testing;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// The Failover suite again while a noisy neighbour keeps one of the machine's cores busy (as an IDE or a build next to
/// <c>dotnet test --filter Failover</c> would): every scenario must still pass its SLA, and no probe may miss more than
/// 1 % of its samples, and the control-plane VIP's takeover stays within the probe's cadence + 100 ms of the quiet run
/// (beyond the advert interval VRRP's own phase adds where the VIP moves) — a harness that measures its neighbours' load
/// instead of the cluster fails here. (On the virtual
/// lab the node-side agents run outside the lab's low CPU weight, as the harness does: see NodeFilesystem.NameAgentCgroup.)
/// </summary>
[TestFixture]
[Category("NoisyNeighbour")]
[Order(6)]
public sealed class NoisyNeighbourSuite : ScenarioSuite
{
    protected override string Suite => "NoisyNeighbour";

    private static IEnumerable<TestCaseData> Scenarios() =>
        ScenarioCatalog.All.Where(s => s.Suite == ScenarioCatalog.Failover).Select(s => new TestCaseData(s.Name).SetName($"Under a busy core: {s.Name}"));

    /// <summary>
    /// The probe whose takeover is the control-plane VIP's alone (VRRP's timers): compared with the quiet run. The
    /// service VIP's is not: a connection through it lands on a backend pod, so its takeover also depends on which pod
    /// kube-proxy picked and when the endpoints changed (6 ms in one quiet run, 690 ms in the busy run after it, for a
    /// non-holder's power-off that never moved the VIP).
    /// </summary>
    private static readonly string[] VipProbes = ["vip-tcp"];

    [TestCaseSource(nameof(Scenarios))]
    public async Task A_failover_scenario_passes_and_every_probe_keeps_its_cadence_while_another_process_keeps_a_core_busy(string name)
    {
        var scenario = ScenarioCatalog.Get(name);

        // The same scenario with no neighbour: the Failover suite's run when it ran before (the default order), else now.
        var quiet = QuietRun(name) ?? await RunAsync(ScenarioRun.Lab, scenario);
        using var neighbour = BusyCore.Start(TimeSpan.FromMinutes(3));
        var result = await RunAsync(ScenarioRun.Lab, scenario);
        var busy = neighbour.CpuTime;
        await TestContext.Out.WriteLineAsync($"The neighbour used {busy.TotalSeconds:0.0} s of CPU.");

        // A VIP's takeover is a random variable of its own: a fault lands at a random phase of VRRP's advertisements, so
        // where the fault moves the VIP two runs differ by up to one advert interval whatever the load. The neighbour may
        // add no more than the probe's cadence and 100 ms to that. (The API probes are not compared: when the target
        // leads etcd their takeover includes etcd's randomized election — 44 ms in one CI run, 5 s in the next.)
        var phase = scenario.Definition.Target == TargetRole.VipHolder
            ? TimeSpan.FromSeconds(ScenarioRun.Lab.Environment.Inventory.Cluster.Keepalived.AdvertInterval)
            : TimeSpan.Zero;
        Assert.Multiple(() =>
        {
            Assert.That(busy, Is.GreaterThan(TimeSpan.FromSeconds(5)), "the neighbour really kept a core busy");
            foreach (var f in result.Figures)
            {
                Assert.That(f.MissedSamples, Is.LessThanOrEqualTo(Math.Ceiling((f.Samples + f.MissedSamples) * 0.01)), $"{f.Probe}: missed samples of {f.Samples + f.MissedSamples}");
            }

            foreach (var probe in VipProbes)
            {
                var (busyTakeover, quietTakeover) = (result.Probe(probe).TakeoverTime, quiet.Probe(probe).TakeoverTime);
                Assert.That(busyTakeover.HasValue, Is.EqualTo(quietTakeover.HasValue), $"{probe}: a takeover in one run only");
                if (busyTakeover is { } b && quietTakeover is { } q)
                {
                    var bound = phase + result.Probe(probe).Resolution + TimeSpan.FromMilliseconds(100);
                    Assert.That((b - q).Duration(), Is.LessThanOrEqualTo(bound),
                        $"{probe}: takeover {b.TotalMilliseconds:0} ms under the busy core, {q.TotalMilliseconds:0} ms in the quiet run");
                }
            }
        });
    }
}
