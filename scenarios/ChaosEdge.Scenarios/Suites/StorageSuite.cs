using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed: `--filter Dns` would run every suite before it. The suites' order is the
// nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// Storage: the volume's I/O probe (4 KiB FUA writes every 20 ms, each with its sequence number and checksum) while a
/// node holding only a replica loses power or its NIC — the engine stalls writes until the engine-replica timeout (8 s,
/// Longhorn's default) fails that replica, then runs degraded and rebuilds it when the node returns — and while the
/// engine's own node loses power or its NIC. After each, every acknowledged write is read back: none may be lost.
/// </summary>
[TestFixture]
[Category(ScenarioCatalog.Storage)]
[Order(5)]
public sealed class StorageSuite : ScenarioSuite
{
    protected override string Suite => ScenarioCatalog.Storage;

    [Test]
    [Order(1)]
    [Description("Storage, replica node power-off")]
    public async Task Power_off_of_a_replica_only_node_stalls_writes_for_the_replica_timeout_then_runs_degraded_rebuilds_and_loses_nothing() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("replica-node-power-off")));

    [Test]
    [Order(2)]
    [Description("Storage, replica node NIC down")]
    public async Task NIC_down_on_a_replica_only_node_stalls_writes_for_the_replica_timeout_then_runs_degraded_rebuilds_and_loses_nothing() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("replica-node-nic-down")));

    [Test]
    [Order(3)]
    [Description("Storage, engine node power-off")]
    public async Task Power_off_of_the_engines_node_takes_the_volume_away_until_it_returns_and_loses_nothing() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("engine-node-power-off")));

    [Test]
    [Order(4)]
    [Description("Storage, engine node NIC down")]
    public async Task NIC_down_on_the_engines_node_cuts_the_volume_off_until_the_link_returns_and_loses_nothing() =>
        Report(await RunAsync(ScenarioRun.Lab, ScenarioCatalog.Get("engine-node-nic-down")));

    private static void Report(ScenarioResult result)
    {
        if (result.Figures.FirstOrDefault(f => f.Probe == "volume-write") is not { } volume)
        {
            return;
        }

        TestContext.Out.WriteLine($"{result.Definition.Name}: volume writes p50 {volume.Latency?.P50.TotalMilliseconds:0.0} ms, p99 {volume.Latency?.P99.TotalMilliseconds:0.0} ms, "
            + $"longest stall {volume.Latency?.Max.TotalMilliseconds:0} ms (engine-replica timeout 8000 ms), failed {volume.Failures}/{volume.Samples}, "
            + $"recovery {(volume.TakeoverTime is { } t ? $"{t.TotalSeconds:0.000} s" : "-")}; {string.Join("; ", result.Notes)}");
    }
}
