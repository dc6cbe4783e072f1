using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Scenarios;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Scenarios;

/// <summary>The phase executor against fake steps on a manual clock: order, holds, timeouts and the restore guarantee, without a lab.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class ScenarioPhasesTests
{

    /// <summary>The observe loop looks every 250 ms; a hold ends within one look (and one step of the driver) of its moment.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(300);

    private readonly ManualClock clock = new();
    private readonly LabCondition condition = new();
    private readonly RecordingObserver observer = new();

    private static ScenarioDefinition Scenario(FaultKind fault = FaultKind.PowerOff) => new()
    {
        Name = "test-scenario",
        Fault = fault,
        Target = TargetRole.VipHolder,
        Baseline = TimeSpan.FromSeconds(3),
        MinimumHold = TimeSpan.FromSeconds(8),
        MaximumHold = TimeSpan.FromSeconds(20),
        AfterRestore = TimeSpan.FromSeconds(5),
        RecoveryGateTimeout = TimeSpan.FromMinutes(3),
    };

    [Test]
    public async Task Phases_run_in_order_and_the_fault_is_restored_once()
    {
        var steps = new FakeSteps(clock);

        await RunAsync(Scenario(), steps);

        Assert.Multiple(() =>
        {
            Assert.That(steps.Calls, Is.EqualTo(new[]
            {
                "health-gate 00:02:00", "prepare", "start-probes", "baseline-ready", "inject", "restore", "stop-probes", "health-gate 00:03:00", "verify", "analyse",
            }));
            Assert.That(observer.Events, Is.EqualTo(new[]
            {
                "start HealthGate", "end HealthGate", "start Baseline", "end Baseline", "start Inject", "end Inject", "start Observe", "end Observe",
                "start Restore", "end Restore", "start RecoveryGate", "end RecoveryGate", "start Analysis", "end Analysis",
            }));
            Assert.That(steps.InjectedAt, Is.EqualTo(TimeSpan.FromSeconds(3)), "the baseline lasts its window");
            Assert.That(steps.StoppedAt - steps.RestoredAt, Is.EqualTo(TimeSpan.FromSeconds(5)), "probing goes on after the restore for its window");
            Assert.That(steps.Window.TookEffect, Is.EqualTo(steps.TookEffect));
            Assert.That(condition.IsDirty, Is.False);
        });
    }

    [Test]
    public async Task Observe_ends_at_the_maximum_hold_when_the_probes_never_recover()
    {
        var steps = new FakeSteps(clock) { RecoveredAfter = null };

        await RunAsync(Scenario(), steps);

        Assert.That(steps.Held, Is.InRange(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20) + Slack));
        Assert.That(observer.Steps, Has.Some.Contains("Maximum hold of 20 s reached"));
    }

    [Test]
    public async Task Observe_ends_after_the_minimum_hold_when_the_probes_recovered_before_it()
    {
        var steps = new FakeSteps(clock) { RecoveredAfter = TimeSpan.FromSeconds(1) };

        await RunAsync(Scenario(), steps);

        Assert.That(steps.Held, Is.InRange(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8) + Slack));
    }

    [Test]
    public async Task Observe_ends_when_the_probes_recover_between_the_minimum_and_the_maximum_hold()
    {
        var steps = new FakeSteps(clock) { RecoveredAfter = TimeSpan.FromSeconds(12) };

        await RunAsync(Scenario(), steps);

        Assert.That(steps.Held, Is.InRange(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(12) + Slack));
        Assert.That(observer.Steps, Has.Some.Contains("recovered; restoring after"));
    }

    [Test]
    public async Task A_fault_a_node_side_timer_ends_is_held_to_its_maximum_even_when_the_probes_recovered()
    {
        var steps = new FakeSteps(clock) { RecoveredAfter = TimeSpan.Zero };

        await RunAsync(Scenario(FaultKind.NicDown), steps);

        Assert.That(steps.Held, Is.InRange(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20) + Slack));
    }

    [Test]
    public async Task An_error_while_observing_restores_the_fault_and_ends_the_phase_with_it()
    {
        var broken = new InvalidOperationException("probe timeline broke");
        var steps = new FakeSteps(clock) { OnRecovered = held => held >= TimeSpan.FromSeconds(10) ? throw broken : false };

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(Scenario(), steps));

        Assert.Multiple(() =>
        {
            Assert.That(thrown, Is.SameAs(broken));
            Assert.That(steps.Calls, Is.EqualTo(new[] { "health-gate 00:02:00", "prepare", "start-probes", "baseline-ready", "inject", "dispose-restore", "stop-probes" }));
            Assert.That(observer.Ended[ScenarioPhase.Observe], Is.SameAs(broken));
            Assert.That(observer.Events, Does.Not.Contain("start Restore").And.Not.Contain("start RecoveryGate"));
        });
    }

    [Test]
    public async Task Cancelling_while_observing_restores_the_fault_and_propagates_the_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        var steps = new FakeSteps(clock)
        {
            OnRecovered = held =>
            {
                if (held >= TimeSpan.FromSeconds(10))
                {
                    cancel.Cancel();
                }

                return false;
            },
        };

        await Assert.CatchAsync<OperationCanceledException>(() => RunAsync(Scenario(), steps, cancel.Token));

        Assert.Multiple(() =>
        {
            Assert.That(steps.Calls, Does.Contain("dispose-restore"));
            Assert.That(steps.Calls[^1], Is.EqualTo("stop-probes"));
            Assert.That(observer.Ended[ScenarioPhase.Observe], Is.InstanceOf<OperationCanceledException>());
            Assert.That(condition.IsDirty, Is.False);
        });
    }

    [Test]
    public async Task A_fault_that_cannot_be_restored_marks_the_lab_dirty_and_the_failure_propagates()
    {
        var steps = new FakeSteps(clock) { RestoreFails = true };

        var thrown = await Assert.ThrowsAsync<FaultRevertException>(() => RunAsync(Scenario(), steps));

        Assert.Multiple(() =>
        {
            Assert.That(thrown!.Message, Does.Contain("power cannot come back"));
            Assert.That(observer.Ended[ScenarioPhase.Restore], Is.InstanceOf<FaultRevertException>());
            Assert.That(condition.DirtyReason, Does.Contain("fake fault on 'n1' could not be restored"));
            Assert.That(steps.Calls, Does.Contain("stop-probes").And.Not.Contain("health-gate 00:03:00"));
        });
    }

    [Test]
    public async Task A_recovery_gate_timeout_marks_the_lab_dirty_with_diagnostics_and_propagates()
    {
        var steps = new FakeSteps(clock) { RecoveryGateTimesOut = true };

        await Assert.ThrowsAsync<GateTimeoutException>(() => RunAsync(Scenario(), steps));

        Assert.Multiple(() =>
        {
            Assert.That(condition.DirtyReason, Does.Contain("did not recover after 'test-scenario'"));
            Assert.That(steps.Calls[^1], Is.EqualTo("diagnose"));
            Assert.That(observer.Ended[ScenarioPhase.RecoveryGate], Is.InstanceOf<GateTimeoutException>());
        });
    }

    [Test]
    public async Task A_sick_cluster_is_refused_before_anything_is_injected()
    {
        var steps = new FakeSteps(clock) { HealthGateTimesOut = true };

        var thrown = await Assert.ThrowsAsync<ChaosEdgeException>(() => RunAsync(Scenario(), steps));

        Assert.Multiple(() =>
        {
            Assert.That(thrown!.Message, Does.StartWith("Scenario 'test-scenario' refuses to start on a sick cluster:"));
            Assert.That(thrown.InnerException, Is.InstanceOf<GateTimeoutException>());
            Assert.That(steps.Calls, Is.EqualTo(new[] { "health-gate 00:02:00" }));
            Assert.That(observer.Events, Is.EqualTo(new[] { "start HealthGate", "end HealthGate" }));
            Assert.That(condition.IsDirty, Is.False);
        });
    }

    [TestCase(FaultKind.NicDown, true, false, 20)]
    [TestCase(FaultKind.Partition, false, true, 80)]
    [TestCase(FaultKind.PowerOff, false, false, 80)]
    [TestCase(FaultKind.KubeletStop, false, false, 80)]
    [TestCase(FaultKind.EtcdMemberLoss, false, false, 80)]
    public void Each_fault_says_who_ends_it_what_it_needs_and_how_long_it_is_built_for(FaultKind kind, bool nodeTimer, bool peers, int seconds)
    {
        var traits = FaultTraits.For(kind);

        Assert.Multiple(() =>
        {
            Assert.That(traits.RestoredByNodeTimer, Is.EqualTo(nodeTimer));
            Assert.That(traits.NeedsPeers, Is.EqualTo(peers));
            Assert.That(traits.TakesEffect, Is.Not.Empty);
            Assert.That(traits.Duration(TimeSpan.FromSeconds(20)), Is.EqualTo(TimeSpan.FromSeconds(seconds)));
        });
    }

    /// <summary>
    /// Runs the phases, moving the clock to the next timer only when the run waits on one: after each timer fires, the
    /// run's continuation (on the thread pool) is given the time it needs to act and wait again. Moving the clock on in
    /// fixed steps regardless let it run ahead of a continuation queued behind a busy machine's other work (a 20 s hold
    /// once measured 23.7 s on CI).
    /// </summary>
    private async Task RunAsync(ScenarioDefinition scenario, FakeSteps steps, CancellationToken cancellationToken = default)
    {
        var run = new ScenarioPhases(scenario, steps, observer, condition, clock).RunAsync(cancellationToken);
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (!run.IsCompleted)
        {
            if (clock.HasPendingTimers)
            {
                clock.AdvanceToNextTimer();
                idle.Restart();
            }
            else if (idle.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail("The run neither finished nor waited on the clock for 30 s of real time.");
            }

            await Task.Delay(1, CancellationToken.None);
            while (!run.IsCompleted && !clock.HasPendingTimers && idle.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(1, CancellationToken.None);
            }
        }

        await run;
    }
}
