using System.Globalization;
using System.Text.Json;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Trials;
using ChaosEdge.Reports;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Runs;

/// <summary>What one scenario's run gave: every trial's result, the verdicts over the trials, and how it ended.</summary>
/// <param name="Scenario">The campaign's scenario.</param>
/// <param name="Trials">Each trial's result, in order.</param>
/// <param name="Metrics">Each judged metric over the trials (with one trial: that trial's verdicts).</param>
/// <param name="Status">Pass, fail or inconclusive.</param>
/// <param name="Reason">Why, in a sentence.</param>
/// <param name="Record">The first trial's run record, relative to the output directory.</param>
/// <param name="TrialsDocument">With several trials: the trials document (<c>chaosedge.trials/1</c>), relative to the output directory.</param>
public sealed record ScenarioRunOutcome(CatalogScenario Scenario, IReadOnlyList<ScenarioResult> Trials, IReadOnlyList<TrialMetric> Metrics, ScenarioStatus Status, string Reason, string Record, string? TrialsDocument)
{
    /// <summary>Every trial's data-loss finding, if any.</summary>
    public IReadOnlyList<string> DataLoss => [.. Trials.Select(t => t.DataLoss).OfType<string>()];
}

/// <summary>
/// The one way a campaign's scenario is run, by <c>chaosedge nightly</c> and by the NUnit suites alike: in its DNS shape
/// (the virtual lab is reshaped and back), with its own SLA block when the campaign gives one, its workload, and its
/// trials one after the other — each trial a whole scenario with its own health gate before and recovery gate after, so
/// a trial starts only on a recovered cluster — and then one verdict per metric over the trials.
/// </summary>
public static class ScenarioRuns
{
    /// <param name="session">The lab.</param>
    /// <param name="scenario">The scenario.</param>
    /// <param name="observer">Gets every phase of every trial.</param>
    /// <param name="output">The run's output directory: records are named relative to it.</param>
    /// <param name="records">Where the records go, a folder per scenario (and per trial); default: the session's output directory.</param>
    /// <param name="progress">Lines about reshaping and trials.</param>
    /// <param name="cancellationToken">Stops the run; the fault of the trial running is restored.</param>
    public static async Task<ScenarioRunOutcome> RunAsync(LabSession session, CatalogScenario scenario, IScenarioObserver observer, string output, string? records = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(observer);
        var original = session.Environment.Inventory.Cluster.Dns;
        if (scenario.DnsShape is not { } shape || !session.IsVirtual || CatalogScenario.Fits(shape, original))
        {
            return await TrialsAsync(session, scenario, observer, output, records, progress, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report($"Reshaping cluster DNS to {shape.Replicas} replica(s) for '{scenario.Name}'");
        await session.ReshapeAsync(c => c with { Dns = shape }, cancellationToken).ConfigureAwait(false);
        try
        {
            return await TrialsAsync(session, scenario, observer, output, records, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await session.ReshapeAsync(c => c with { Dns = original }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Why <paramref name="scenario"/> does not run on <paramref name="lab"/>, or null when it does: it needs a lab of its
    /// own, a client on the lab switch, a DNS shape a given lab does not have, agents it does not name, or a target its
    /// shape lacks. The nightly reports it as not run with this reason; the NUnit suites ignore it with it.
    /// </summary>
    public static string? NotApplicable(CatalogScenario scenario, LabSession lab)
    {
        var inventory = lab.Environment.Inventory;
        if (scenario.VirtualLabOnly && !lab.IsVirtual)
        {
            return "Runs on the built-in virtual lab only (it needs a lab of its own).";
        }

        if (!lab.IsVirtual && scenario.ShapeMismatch(inventory.Cluster.Dns) is { } mismatch)
        {
            return mismatch;
        }

        if (!lab.IsVirtual && scenario.Definition.ClientProbe)
        {
            return "It probes from a client on the cluster's switch, which ChaosEdge puts only on the virtual lab it builds.";
        }

        return scenario.TargetMissing(inventory) ?? (lab.IsVirtual ? null : scenario.AgentsMissing(inventory));
    }

    private static async Task<ScenarioRunOutcome> TrialsAsync(LabSession session, CatalogScenario scenario, IScenarioObserver observer, string output, string? recordRoot, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var trials = Math.Max(1, scenario.Definition.Trials);
        var environment = session.Environment;
        if (scenario.Sla is { } own)
        {
            environment = environment with { Sla = environment.Sla.WithScenario(scenario.Name, own, "the campaign's sla block") };
        }

        var folder = Path.Combine(recordRoot ?? environment.OutputDirectory, scenario.Name);
        var results = new List<ScenarioResult>();
        var paths = new List<string>();
        for (var trial = 1; trial <= trials; trial++)
        {
            var directory = trials == 1 ? folder : Path.Combine(folder, $"trial-{trial}");
            if (trials > 1)
            {
                progress?.Report($"{scenario.Name}: trial {trial} of {trials}");
                observer.Step($"Trial {trial} of {trials}");
            }

            Directory.CreateDirectory(directory);
            var result = await new ScenarioRunner(environment with { RecordDirectory = directory })
                .RunAsync(scenario.Definition, observer, scenario.CreateWorkload(environment), cancellationToken).ConfigureAwait(false);
            results.Add(result);
            paths.Add(Relative(output, Path.Combine(directory, "run.json")));
        }

        var metrics = TrialJudge.Judge([.. results.Select(r => (r.Figures, r.Verdicts))]);
        string? document = null;
        if (trials > 1)
        {
            var path = Path.Combine(folder, "trials.json");
            await File.WriteAllTextAsync(path, Measurement.Trials.TrialsDocument.Build(scenario.Name, paths, metrics).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken).ConfigureAwait(false);
            document = Relative(output, path);
            foreach (var m in metrics)
            {
                observer.Step(string.Create(CultureInfo.InvariantCulture, $"{m.Outcome.ToString().ToUpperInvariant()} over {trials} trials: {m.Threshold.Probe} {m.Threshold.Metric} {m.Verdict.Measured} (limit {m.Threshold.Text}) {m.Reason}"));
            }
        }

        var (status, reason) = Judge(results, metrics);
        return new ScenarioRunOutcome(scenario, results, metrics, status, reason, paths[0], document);
    }

    /// <summary>Fail on lost data or a failed metric, inconclusive when a metric could not be decided, else pass.</summary>
    private static (ScenarioStatus Status, string Reason) Judge(IReadOnlyList<ScenarioResult> results, IReadOnlyList<TrialMetric> metrics)
    {
        if (results.Select((r, i) => (r.DataLoss, Trial: i + 1)).FirstOrDefault(r => r.DataLoss is not null) is { DataLoss: { } loss } lost)
        {
            return (ScenarioStatus.Fail, "Data loss" + (results.Count > 1 ? $" in trial {lost.Trial}" : string.Empty) + ": " + loss);
        }

        var notPassed = metrics.Where(m => m.Outcome != SlaOutcome.Pass).ToList();
        if (notPassed.Count == 0)
        {
            return (ScenarioStatus.Pass, results.Count == 1 ? $"{metrics.Count} verdicts passed." : $"{metrics.Count} verdicts passed over {results.Count} trials.");
        }

        var status = notPassed.Any(m => m.Outcome == SlaOutcome.Fail) ? ScenarioStatus.Fail : ScenarioStatus.Inconclusive;
        return (status, string.Join("; ", notPassed.Select(m => m.Verdict.Summary)));
    }

    private static string Relative(string output, string path) => Path.GetRelativePath(output, path).Replace('\\', '/');
}
