using System.Globalization;
using System.Text;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Reports;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// Base of the scenario suites: runs a scenario on the run's lab, reports its phases to the test log and to Allure,
/// attaches the run record and the raw samples, and fails the test on any failed SLA verdict.
/// </summary>
[NonParallelizable]
public abstract class ScenarioSuite
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ScenarioResult> QuietRuns = new(StringComparer.Ordinal);
    private AllureResult? allure;

    /// <summary>The Allure suite name (Failover, Etcd, SplitBrain, Dns).</summary>
    protected abstract string Suite { get; }

    [SetUp]
    public void StartAllure() => allure = AllureResults.Start(Suite, TestContext.CurrentContext.Test.Properties.Get("Description") as string ?? Suite);

    [TearDown]
    public void FinishAllure()
    {
        if (allure is not null)
        {
            AllureResults.Finish(allure);
        }
    }

    /// <summary>
    /// Runs a catalog scenario on <paramref name="lab"/> — in its DNS shape if it has one (the virtual lab is reshaped
    /// and back), with its workload — and asserts every SLA verdict passed and no acknowledged write was lost.
    /// </summary>
    protected async Task<ScenarioResult> RunAsync(ScenarioLab lab, CatalogScenario scenario)
    {
        var original = lab.Environment.Inventory.Cluster.Dns;
        if (!lab.IsVirtual && scenario.ShapeMismatch(original) is { } mismatch)
        {
            Assert.Ignore(mismatch);
        }

        if (scenario.DnsShape is { } shape && lab.IsVirtual && !CatalogScenario.Fits(shape, original))
        {
            await lab.ReshapeAsync(c => c with { Dns = shape });
            try
            {
                return await RunAsync(lab, scenario.Definition, scenario.CreateWorkload(lab.Environment));
            }
            finally
            {
                await lab.ReshapeAsync(c => c with { Dns = original });
            }
        }

        var result = await RunAsync(lab, scenario.Definition, scenario.CreateWorkload(lab.Environment));
        if (scenario.Workload != WorkloadKind.None)
        {
            Assert.That(result.Notes, Has.Some.Contains("0 acknowledged writes lost"));
        }

        return result;
    }

    /// <summary>The Failover suite's run of <paramref name="scenario"/> in this test run, with no neighbour, if it ran.</summary>
    protected static ScenarioResult? QuietRun(string scenario) => QuietRuns.GetValueOrDefault(scenario);

    private async Task<ScenarioResult> RunAsync(ScenarioLab lab, ScenarioDefinition scenario, IScenarioWorkload? workload)
    {
        allure!.Parameter("scenario", scenario.Name);
        allure.Parameter("lab", lab.Environment.Inventory.ClusterName);
        // Each suite's records in a folder of its own: NoisyNeighbour runs the Failover scenarios again under the same names.
        var environment = lab.Environment with { OutputDirectory = Path.Combine(lab.Environment.OutputDirectory, Suite) };
        var result = await new ScenarioRunner(environment).RunAsync(scenario, new Observer(allure), workload);
        allure.Attach("run record", "application/json", "json", result.Record.ToJsonString());
        allure.Attach("samples", "text/csv", "csv", SamplesCsv.Render(result.Timeline));
        allure.Attach("timeline", "image/svg+xml", "svg", TimelineChart.Render(result.Record));
        if (Suite == "Failover")
        {
            QuietRuns[scenario.Name] = result;
        }

        var summary = Summary(result);
        allure.Attach("figures", "text/plain", "txt", summary);
        TestContext.Out.WriteLine(summary);

        // An inconclusive verdict is not a pass: the measurement could not decide, and the test says why.
        var failed = result.Verdicts.Where(v => v.Outcome != SlaOutcome.Pass).ToList();
        Assert.That(result.DataLoss, Is.Null, "Data loss");
        Assert.That(failed, Is.Empty, () => "SLA verdicts not passed: " + string.Join("; ", failed.Select(v => $"{v.Summary} {v.Reason}")));
        return result;
    }

    private static string Summary(ScenarioResult result)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{result.Definition.Name}: {result.FaultDescription}; recovery gate {result.RecoveryGate.TotalSeconds:0.0} s");
        foreach (var f in result.Figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {f.Probe,-18} samples {f.Samples,6} failed {f.Failures,5} missed {f.MissedSamples,4} availability {(f.Availability ?? 0) * 100,8:0.000} % longest {f.LongestOutage.TotalMilliseconds,9:0.0} ms takeover {(f.TakeoverTime is { } t ? t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-"),10} two-owners {(f.DuplicateOwnerTime is { } d ? d.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms" : "-")}");
        }

        foreach (var v in result.Verdicts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {v.Outcome.ToString().ToUpperInvariant(),-12} {v.Threshold.Probe} {v.Threshold.Metric} {v.Measured} limit {v.Threshold.Text} margin {v.Margin} {v.Reason}");
        }

        foreach (var note in result.Notes)
        {
            text.AppendLine("  " + note);
        }

        return text.ToString();
    }

    private sealed class Observer(AllureResult allure) : IScenarioObserver
    {
        public void PhaseStarted(ScenarioPhase phase, string description)
        {
            TestContext.Progress.WriteLine($"[{TestContext.CurrentContext.Test.Name}] {phase}: {description}");
            TestContext.Out.WriteLine($"{phase}: {description}");
            allure.StartStep($"{phase}: {description}");
        }

        public void PhaseEnded(ScenarioPhase phase, Exception? error) => allure.StopStep(error);

        public void Step(string line)
        {
            // Progress shows it live; Out keeps it with the test's result, so a failure on CI says what happened.
            TestContext.Progress.WriteLine($"[{TestContext.CurrentContext.Test.Name}]   {line}");
            TestContext.Out.WriteLine("  " + line);
            allure.Step(line);
        }
    }
}
