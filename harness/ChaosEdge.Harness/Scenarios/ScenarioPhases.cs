using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Faults;

namespace ChaosEdge.Scenarios;

/// <summary>
/// Runs a scenario's phases in order around its <see cref="IScenarioSteps"/>: health gate (refuses a sick cluster) →
/// prepare → probes on → baseline → inject → observe (until recovered and the minimum hold passed, or the maximum; a
/// fault a node-side timer ends is held to its maximum) → restore → probing after the restore → probes off → recovery
/// gate (full health, or the lab is marked dirty) → verification → analysis. Once injected, the fault is restored
/// whatever happens; a fault that cannot be restored marks the lab dirty.
/// </summary>
/// <param name="scenario">The windows, the recovery probes and the fault's kind (for its <see cref="FaultTraits"/>).</param>
/// <param name="steps">The work of each phase.</param>
/// <param name="observer">Told each phase's start and end (with its error), and the steps of the hold.</param>
/// <param name="condition">Marked dirty when the fault cannot be restored or the cluster does not recover.</param>
/// <param name="time">The clock every hold and wait is measured and waited on.</param>
public sealed class ScenarioPhases(ScenarioDefinition scenario, IScenarioSteps steps, IScenarioObserver observer, LabCondition condition, TimeProvider time)
{
    /// <summary>How long the health gate waits for a healthy cluster before a scenario: 2 min.</summary>
    public static readonly TimeSpan HealthGateTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How often the observe phase checks the hold and the recovery probes: every 250 ms.</summary>
    public static readonly TimeSpan ObserveInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs every phase; the first failure ends the run (the fault restored) and propagates.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var traits = FaultTraits.For(scenario.Fault);
        await PhaseAsync(observer, ScenarioPhase.HealthGate, "Refuse to start on a sick cluster", async () =>
        {
            try
            {
                await steps.HealthGateAsync(HealthGateTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (GateTimeoutException e)
            {
                throw new ChaosEdgeException($"Scenario '{scenario.Name}' refuses to start on a sick cluster: {e.Message}", e);
            }
        }).ConfigureAwait(false);

        var fault = await steps.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var window = default(FaultWindow);
        await steps.StartProbesAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PhaseAsync(observer, ScenarioPhase.Baseline, $"Probe the healthy cluster for {Seconds(scenario.Baseline)} s", async () =>
            {
                await steps.BaselineReadyAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(scenario.Baseline, time, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

            IAppliedFault? injected = null;
            await PhaseAsync(observer, ScenarioPhase.Inject, $"Inject {fault}", async () =>
                injected = await steps.InjectAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            var applied = injected!;
            try
            {
                await PhaseAsync(observer, ScenarioPhase.Observe, $"Observe for {Seconds(scenario.MinimumHold)}–{Seconds(scenario.MaximumHold)} s, until {string.Join(", ", scenario.RecoveryProbes)} recovered",
                    () => ObserveAsync(applied.TookEffect, traits, cancellationToken)).ConfigureAwait(false);
                window = new FaultWindow(applied.TookEffect, time.GetTimestamp());
                await PhaseAsync(observer, ScenarioPhase.Restore, $"Restore {fault} and verify", async () =>
                {
                    try
                    {
                        await applied.RestoreAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (FaultRevertException e)
                    {
                        condition.MarkDirty($"{fault} could not be restored: {e.Message}");
                        throw;
                    }
                }).ConfigureAwait(false);
            }
            finally
            {
                // The guarantee: whatever ended the hold (an error, a cancellation), the fault does not outlive the run.
                try
                {
                    await applied.DisposeAsync().ConfigureAwait(false);
                }
                catch (FaultRevertException e)
                {
                    condition.MarkDirty($"{fault} could not be restored: {e.Message}");
                    throw;
                }
            }

            observer.Step($"Probing {Seconds(scenario.AfterRestore)} s more after the restore");
            await Task.Delay(scenario.AfterRestore, time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await steps.StopProbesAsync().ConfigureAwait(false);
        }

        var gateStarted = time.GetTimestamp();
        await PhaseAsync(observer, ScenarioPhase.RecoveryGate, $"Wait up to {Seconds(scenario.RecoveryGateTimeout)} s for full health", async () =>
        {
            try
            {
                await steps.HealthGateAsync(scenario.RecoveryGateTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (GateTimeoutException e)
            {
                condition.MarkDirty($"the cluster did not recover after '{scenario.Name}': {e.Message}");
                await steps.DiagnoseAsync().ConfigureAwait(false);
                throw;
            }
        }).ConfigureAwait(false);
        var recoveryGate = time.GetElapsedTime(gateStarted);

        await steps.VerifyAsync(window, cancellationToken).ConfigureAwait(false);
        await PhaseAsync(observer, ScenarioPhase.Analysis, "Analyse the timeline and judge it against the SLA",
            () => steps.AnalyseAsync(recoveryGate, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Reports <paramref name="phase"/> to <paramref name="observer"/> around <paramref name="body"/>, with the error it ended with.</summary>
    public static async Task PhaseAsync(IScenarioObserver observer, ScenarioPhase phase, string description, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(body);
        observer.PhaseStarted(phase, description);
        try
        {
            await body().ConfigureAwait(false);
            observer.PhaseEnded(phase, null);
        }
        catch (Exception e)
        {
            observer.PhaseEnded(phase, e);
            throw;
        }
    }

    /// <summary>Seconds for people: <c>2.5</c>.</summary>
    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private async Task ObserveAsync(long tookEffect, FaultTraits traits, CancellationToken cancellationToken)
    {
        while (true)
        {
            var held = time.GetElapsedTime(tookEffect);
            if (held >= scenario.MaximumHold)
            {
                observer.Step($"Maximum hold of {Seconds(scenario.MaximumHold)} s reached");
                return;
            }

            // A fault a node-side timer ends lasts its maximum whatever the probes say: restoring it early only waits.
            if (!traits.RestoredByNodeTimer && held >= scenario.MinimumHold && steps.Recovered(tookEffect))
            {
                observer.Step($"{string.Join(", ", scenario.RecoveryProbes)} recovered; restoring after {Seconds(held)} s");
                return;
            }

            await Task.Delay(ObserveInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
