using System.Globalization;
using System.Text;
using ChaosEdge.Runs;
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
    /// Runs a campaign's scenario on <paramref name="lab"/> the way <c>chaosedge nightly</c> does (<see cref="ScenarioRuns"/>:
    /// its DNS shape, its SLA block, its workload, its trials) and asserts it passed — every verdict (over the trials
    /// when there are several) and no acknowledged write lost. Returns the first trial's result.
    /// </summary>
    protected async Task<ScenarioResult> RunAsync(ScenarioLab lab, CatalogScenario scenario) => (await RunTrialsAsync(lab, scenario)).Trials[0];

    /// <summary>
    /// As <see cref="RunAsync"/>, with every trial and the verdicts over them. With <paramref name="trialsCappedFrom"/>
    /// (the campaign asked for more trials than this run gives it) an inconclusive verdict is accepted and said: too few
    /// trials to bound it is the run's limit, not the system's; a failed one still fails.
    /// </summary>
    protected async Task<ScenarioRunOutcome> RunTrialsAsync(ScenarioLab lab, CatalogScenario scenario, int? trialsCappedFrom = null)
    {
        if (ScenarioRuns.NotApplicable(scenario, lab.Session) is { } notApplicable)
        {
            Assert.Ignore(notApplicable);
        }

        allure!.Parameter("scenario", scenario.Name);
        allure.Parameter("lab", lab.Environment.Inventory.ClusterName);
        allure.Parameter("trials", scenario.Definition.Trials.ToString(CultureInfo.InvariantCulture));
        // Each suite's records in a folder of its own: NoisyNeighbour runs the Failover scenarios again under the same names.
        var output = Path.Combine(lab.Environment.OutputDirectory, Suite);
        var progress = new Progress<string>(line => TestContext.Progress.WriteLine($"[{TestContext.CurrentContext.Test.Name}] {line}"));
        var outcome = await ScenarioRuns.RunAsync(lab.Session, scenario, new FanOutObserver(new AllureObserver(allure), new TestOutputObserver()), output, output, progress);
        foreach (var (result, trial) in outcome.Trials.Select((t, k) => (t, k + 1)))
        {
            var suffix = outcome.Trials.Count == 1 ? string.Empty : $" (trial {trial})";
            allure.Attach("run record" + suffix, "application/json", "json", result.Record.ToJsonString());
            allure.Attach("samples" + suffix, "text/csv", "csv", SamplesCsv.Render(result.Timeline));
            allure.Attach("timeline" + suffix, "image/svg+xml", "svg", TimelineChart.Render(result.Record));
            var summary = Summary(result);
            allure.Attach("figures" + suffix, "text/plain", "txt", summary);
            TestContext.Out.WriteLine(summary);
        }

        if (Suite == "Failover")
        {
            QuietRuns[scenario.Name] = outcome.Trials[0];
        }

        if (outcome.Trials.Count > 1)
        {
            var lines = string.Join(Environment.NewLine, outcome.Metrics.Select(m => $"  {m.Outcome.ToString().ToUpperInvariant(),-12} {m.Threshold.Probe} {m.Threshold.Metric} {m.Verdict.Measured} limit {m.Threshold.Text} {m.Reason}"));
            allure.Attach("verdicts over the trials", "text/plain", "txt", lines);
            TestContext.Out.WriteLine($"Over {outcome.Trials.Count} trials:{Environment.NewLine}{lines}");
        }

        // An inconclusive verdict is not a pass: the measurement could not decide, and the test says why.
        Assert.That(outcome.DataLoss, Is.Empty, "Data loss");
        if (trialsCappedFrom is { } asked && outcome.Status == ScenarioStatus.Inconclusive)
        {
            await TestContext.Out.WriteLineAsync($"INCONCLUSIVE with {outcome.Trials.Count} of the campaign's {asked} trials (capped for this run): {outcome.Reason}");
        }
        else
        {
            Assert.That(outcome.Status, Is.EqualTo(ScenarioStatus.Pass), () => "SLA verdicts not passed: " + outcome.Reason);
        }

        if (scenario.Workload != WorkloadKind.None)
        {
            Assert.That(outcome.Trials.SelectMany(t => t.Notes), Has.Some.Contains("0 acknowledged writes lost"));
        }

        return outcome;
    }

    /// <summary>The Failover suite's run of <paramref name="scenario"/> in this test run, with no neighbour, if it ran.</summary>
    protected static ScenarioResult? QuietRun(string scenario) => QuietRuns.GetValueOrDefault(scenario);

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

    /// <summary>A scenario's events in the test's output: live (Progress) and kept with its result (Out), so a failure on CI says what happened.</summary>
    private sealed class TestOutputObserver : IScenarioObserver
    {
        public void PhaseStarted(ScenarioPhase phase, string description)
        {
            TestContext.Progress.WriteLine($"[{TestContext.CurrentContext.Test.Name}] {phase}: {description}");
            TestContext.Out.WriteLine($"{phase}: {description}");
        }

        public void PhaseEnded(ScenarioPhase phase, Exception? error)
        {
        }

        public void Step(string line)
        {
            TestContext.Progress.WriteLine($"[{TestContext.CurrentContext.Test.Name}]   {line}");
            TestContext.Out.WriteLine("  " + line);
        }
    }
}
