using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Campaigns;
using ChaosEdge.Errors;
using ChaosEdge.Reports;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Secrets;

namespace ChaosEdge.Runs;

/// <summary>What <c>chaosedge nightly</c> runs and where it writes.</summary>
public sealed record NightlyOptions
{
    /// <summary>The lab's inventory; null for the built-in virtual lab.</summary>
    public string? InventoryPath { get; init; }

    public string? SlaPath { get; init; }

    /// <summary>Suites and scenarios of the campaign to run (see <see cref="Campaign.Select"/>); null for all.</summary>
    public string? Filter { get; init; }

    /// <summary>The campaign (<c>--campaign FILE</c>); null for the shipped default campaign.</summary>
    public Campaign? Campaign { get; init; }

    /// <summary><c>--trials N</c>: every selected scenario runs this many times instead of its campaign's number.</summary>
    public int? Trials { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>With an inventory: use the lab as it is after verifying its health, instead of provisioning it (idempotently) first.</summary>
    public bool NoProvision { get; init; }

    /// <summary>With <see cref="NoProvision"/>: the kubeconfig to reach the lab's API with (default: <c>kubeconfig</c> beside the inventory).</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>With <see cref="NoProvision"/>: the kubeconfig's context (default: its current context).</summary>
    public string? Context { get; init; }

    /// <summary>The customer named on the acceptance report's cover.</summary>
    public string Customer { get; init; } = "—";

    /// <summary>The virtual lab's name (its 2-node companion gets the same name with 'b').</summary>
    public string LabName { get; init; } = "cenl";
}

/// <summary>How a nightly run ended: 0 every SLA verdict passed, 1 one did not, 2 the run could not be completed.</summary>
public sealed record NightlyOutcome(int ExitCode, string Reason, string SummaryPath, IReadOnlyList<ScenarioEntry> Scenarios);

/// <summary>
/// The main job: opens the lab (the virtual lab is brought up and provisioned), runs the selected scenarios in catalog
/// order, stops when the lab is dirty, and writes into the output directory the nightly summary
/// (<c>nightly.json</c>, schema <c>chaosedge.nightly/1</c>), every scenario's run record (<c>scenarios/NAME/run.json</c>),
/// the acceptance report (<c>report.html</c>), JUnit XML (<c>junit.xml</c>) and Allure results (<c>allure-results/</c>:
/// a step per phase, the timeline, samples and run record attached, SLA and infrastructure failures as categories).
/// The summary is written after every scenario, so an interrupted run leaves what it measured.
/// </summary>
public sealed class NightlyRun(NightlyOptions options, IScenarioObserver observer, IProgress<string> progress, TimeProvider? time = null)
{
    public const string Schema = NightlySummary.SchemaName;

    private readonly TimeProvider clock = time ?? TimeProvider.System;

    public async Task<NightlyOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var campaign = options.Campaign ?? Campaign.Default;
        if (options.Trials is { } trials)
        {
            campaign = campaign.WithTrials(trials);
        }

        var selected = campaign.Select(options.Filter);
        var output = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(output);
        var started = clock.GetUtcNow();
        var startedTimestamp = clock.GetTimestamp();
        var summary = new NightlySummary
        {
            RunId = started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2)),
            StartedAt = started.ToString("O", CultureInfo.InvariantCulture),
            Harness = typeof(NightlyRun).Assembly.GetName().Version?.ToString(3) ?? "?",
            Customer = options.Customer,
            Filter = options.Filter ?? string.Empty,
            Campaign = campaign.Name == Campaign.Default.Name && options.Campaign is null ? campaign.Name : $"{campaign.Name} ({campaign.SourcePath})",
            Scenarios = [.. selected.Select(s => new ScenarioEntry { Name = s.Name, Suite = s.Suite, Title = s.Title, Status = ScenarioStatus.NotRun, Reason = "The run ended before this scenario." })],
        };
        var entries = summary.Scenarios;
        string? incomplete = null;
        LabSession? lab = null;
        LabSession? twoNodes = null;
        LabSession? withAgents = null;
        try
        {
            progress.Report(options.InventoryPath is null ? $"Bringing up and provisioning the built-in virtual lab '{options.LabName}'"
                : options.NoProvision ? $"Opening the lab of '{options.InventoryPath}' as it is" : $"Provisioning the lab of '{options.InventoryPath}'");
            try
            {
                lab = await LabSession.OpenAsync(options.InventoryPath, options.LabName, 3, Path.Combine(output, "scenarios"), progress,
                    provision: !options.NoProvision, verify: options.NoProvision, options.SlaPath, options.KubeconfigPath, options.Context, cancellationToken).ConfigureAwait(false);
                summary.Lab = LabSummary(lab, await lab.HardwareAsync(cancellationToken).ConfigureAwait(false));
                AllureResult.WriteEnvironment(Path.Combine(output, "allure-results"), new Dictionary<string, string>
                {
                    ["ChaosEdge"] = summary.Harness, ["lab"] = lab.Description, ["cluster"] = lab.Environment.Inventory.ClusterName,
                    ["control-plane VIP"] = lab.Environment.Inventory.ControlPlane.Vip.ToString(), ["SLA"] = lab.Environment.Sla.SourcePath,
                    ["campaign"] = summary.Campaign,
                    ["nodes"] = string.Join(", ", lab.Environment.Inventory.Nodes.Select(n => $"{n.Name} {n.Address}")),
                });
                AllureResult.WriteCategories(Path.Combine(output, "allure-results"));
                AllureResult.WriteReportConfig(output, "allure-results", $"ChaosEdge nightly: {lab.Environment.Inventory.ClusterName}");
            }
            catch (Exception e) when (e is ChaosEdgeException or IOException or InvalidOperationException or HttpRequestException)
            {
                incomplete = "The lab could not be provisioned: " + SecretRedactor.Redact(e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                incomplete = "The run was interrupted while the lab was being opened.";
            }

            for (var i = 0; i < selected.Count; i++)
            {
                var scenario = selected[i];
                var entry = entries[i];
                WriteSummary(output, summary, null, startedTimestamp);
                if (incomplete is not null || lab is null)
                {
                    entry.Reason = incomplete;
                    Skipped(output, scenario, incomplete ?? "The lab could not be opened.");
                    continue;
                }

                if (ScenarioRuns.NotApplicable(scenario, lab) is { } notApplicable)
                {
                    entry.Reason = notApplicable;
                    Skipped(output, scenario, notApplicable);
                    continue;
                }

                progress.Report($"[{i + 1}/{selected.Count}] {scenario.Suite} · {scenario.Name}: {scenario.Title}");
                var scenarioStarted = clock.GetTimestamp();
                var allure = new AllureResult(Path.Combine(output, "allure-results"), scenario.Title, $"chaosedge.{scenario.Suite}.{scenario.Name}", scenario.Suite, scenario.Name, clock);
                allure.Parameter("scenario", scenario.Name);
                allure.Parameter("trials", scenario.Definition.Trials.ToString(CultureInfo.InvariantCulture));
                try
                {
                    var session = lab;
                    if (scenario.LabServers == 2)
                    {
                        twoNodes ??= await LabSession.OpenAsync(null, options.LabName + "b", 2, Path.Combine(output, "scenarios"), progress, options.SlaPath, cancellationToken).ConfigureAwait(false);
                        session = twoNodes;
                    }
                    else if (scenario.LabAgents > 0 && lab.IsVirtual)
                    {
                        // The run's lab has servers only: the agents' scenarios get a lab with agents, opened when the
                        // first of them runs and closed after the last, so the two labs share the machine no longer.
                        withAgents ??= await LabSession.OpenWithAgentsAsync(options.LabName + "a", selected.Max(s => s.LabAgents), Path.Combine(output, "scenarios"), progress, options.SlaPath, cancellationToken).ConfigureAwait(false);
                        session = withAgents;
                    }

                    var result = await ScenarioRuns.RunAsync(session, scenario, new FanOutObserver(new AllureObserver(allure), observer), output, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
                    entry.Fault = result.Trials[0].FaultDescription;
                    entry.Record = result.Record;
                    entry.Trials = result.TrialsDocument;
                    (entry.Status, entry.Reason) = (result.Status, result.Reason);
                    foreach (var (trial, k) in result.Trials.Select((t, k) => (t, k + 1)))
                    {
                        var suffix = result.Trials.Count == 1 ? string.Empty : $" (trial {k})";
                        allure.Attach("timeline" + suffix, "image/svg+xml", "svg", TimelineChart.Render(trial.Record));
                        allure.Attach("samples" + suffix, "text/csv", "csv", SamplesCsv.Render(trial.Timeline));
                        allure.Attach("run record" + suffix, "application/json", "json", trial.Record.ToJsonString());
                    }

                    allure.Finish(entry.Status == ScenarioStatus.Pass ? "passed" : "failed", entry.Reason);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Interrupted (Ctrl+C): the fault session restored the fault; what was measured so far is still written.
                    entry.Status = ScenarioStatus.Error;
                    entry.Reason = "Interrupted during this scenario; its fault was restored.";
                    allure.Finish("broken", entry.Reason);
                    incomplete = $"The run was interrupted during '{scenario.Name}'.";
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var dirty = lab.Environment.Condition.IsDirty || twoNodes?.Environment.Condition.IsDirty == true || withAgents?.Environment.Condition.IsDirty == true;
                    entry.Status = ScenarioStatus.Error;
                    entry.Reason = ErrorSummary(e, dirty);
                    entry.Detail = SecretRedactor.Redact(e.Message);
                    progress.Report($"[{i + 1}/{selected.Count}] {scenario.Name}: technical detail: {entry.Detail}");
                    allure.Finish("broken", e.Message, e.StackTrace);
                    if (dirty)
                    {
                        incomplete = "The lab is dirty: " + (lab.Environment.Condition.DirtyReason ?? twoNodes?.Environment.Condition.DirtyReason ?? withAgents?.Environment.Condition.DirtyReason);
                    }
                }

                if (withAgents is not null && !selected.Skip(i + 1).Any(s => s.LabAgents > 0))
                {
                    progress.Report("Taking the lab with agents down");
                    await withAgents.DisposeAsync().ConfigureAwait(false);
                    withAgents = null;
                }

                entry.Seconds = Math.Round(clock.GetElapsedTime(scenarioStarted).TotalSeconds, 1);
                progress.Report($"[{i + 1}/{selected.Count}] {scenario.Name}: {AcceptanceReport.StatusText(entry.Status).ToUpperInvariant()} {entry.Reason}");
            }
        }
        finally
        {
            if (twoNodes is not null)
            {
                await twoNodes.DisposeAsync().ConfigureAwait(false);
            }

            if (withAgents is not null)
            {
                await withAgents.DisposeAsync().ConfigureAwait(false);
            }

            if (lab is not null)
            {
                progress.Report(lab.IsVirtual ? "Taking the virtual lab down" : "Closing the lab's connections");
                await lab.DisposeAsync().ConfigureAwait(false);
            }
        }

        var errors = entries.Where(e => e.Status == ScenarioStatus.Error).ToList();
        var failed = entries.Where(e => e.NotPassed).ToList();
        var passed = entries.Count(e => e.Status == ScenarioStatus.Pass);
        var (exit, outcome, reason) =
            incomplete is not null ? (2, RunOutcome.Incomplete, incomplete)
            : errors.Count > 0 ? (2, RunOutcome.Incomplete, $"{errors.Count} scenario(s) could not be completed, so they have no verdicts: {string.Join(", ", errors.Select(e => e.Name))}. What went wrong is told with each scenario, and in technical terms in the report's appendix and in nightly.log.")
            : failed.Count > 0 ? (1, RunOutcome.Fail, $"{failed.Count} of {passed + failed.Count} scenarios did not pass their SLA: {string.Join(", ", failed.Select(e => e.Name))}")
            : (0, RunOutcome.Pass, $"All {passed} scenarios passed their SLA.");
        summary.Outcome = outcome;
        summary.Reason = reason;
        summary.FinishedAt = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        // Written even when the run was interrupted: nothing measured is lost.
        var path = WriteSummary(output, summary, reason, startedTimestamp);
        await WriteReportsAsync(output, summary, CancellationToken.None).ConfigureAwait(false);
        return new NightlyOutcome(exit, reason, path, entries);
    }

    /// <summary>Writes <c>report.html</c> and <c>junit.xml</c> from the summary and the run records on disk.</summary>
    public static async Task WriteReportsAsync(string output, NightlySummary summary, CancellationToken cancellationToken = default)
    {
        JsonObject? Record(string relative)
        {
            var file = Path.Combine(output, relative);
            return File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject : null;
        }

        await File.WriteAllTextAsync(Path.Combine(output, "report.html"), AcceptanceReport.Render(summary, Record), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "junit.xml"), JUnitReport.Render(summary, Record), cancellationToken).ConfigureAwait(false);
    }

    private void Skipped(string output, CatalogScenario scenario, string reason) =>
        new AllureResult(Path.Combine(output, "allure-results"), scenario.Title, $"chaosedge.{scenario.Suite}.{scenario.Name}", scenario.Suite, scenario.Name, clock).Finish("skipped", reason);

    /// <summary>
    /// What a scenario that could not be completed means, in plain words for the report's reader: what could not be
    /// done, that it has no verdicts, and whether its fault was undone. The exception's own text goes to the appendix.
    /// </summary>
    internal static string ErrorSummary(Exception error, bool labDirty)
    {
        var what = error switch
        {
            NodeUnreachableException u => $"the harness could not reach node '{u.Node}'",
            NodeCommandTimeoutException t => $"a step on node '{t.Node}' did not finish in time",
            NodeCommandFailedException c when c.ExitCode == 255 => $"the harness lost its connection to node '{c.Node}'",
            NodeCommandFailedException c => $"a step on node '{c.Node}' failed",
            HostKeyMismatchException h => $"node '{h.Node}' did not prove its identity (its SSH host key was not the expected one)",
            GateTimeoutException g => $"{FirstLower(g.Resource)} did not {g.Condition} in time",
            FaultInjectionException => "the fault could not be put into effect",
            FaultRevertException => "the fault could not be undone",
            DataLossException => "data written during the scenario could not be read back",
            _ => "the harness met an unexpected error",
        };
        var fault = labDirty || error is FaultRevertException
            ? "Its fault may still be in effect: the lab must be checked before it is used again ('chaosedge recover')."
            : "Its fault was undone.";
        return $"Not completed: {what}, so this scenario has no verdicts. {fault}";

        static string FirstLower(string text) => text.Length > 0 && char.IsUpper(text[0]) && (text.Length == 1 || !char.IsUpper(text[1])) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }

    private static LabSummary LabSummary(LabSession lab, IReadOnlyDictionary<string, string> hardware)
    {
        var inventory = lab.Environment.Inventory;
        return new LabSummary(lab.Description, inventory.ClusterName, inventory.ControlPlane.Vip.ToString(), lab.Environment.Sla.SourcePath,
            $"ChaosEdge {typeof(NightlyRun).Assembly.GetName().Version?.ToString(3)}, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}" + (lab.IsVirtual ? ", virtual lab node runtime (k3s-shaped)" : string.Empty),
            [.. inventory.Nodes.Select(n => new LabNodeSummary(n.Name, n.Address.ToString(), n.Role.ToString().ToLowerInvariant(),
                n.Bmc is { } b ? $"{b.Kind.ToString().ToLowerInvariant()} {b.Address}" : string.Empty, hardware.GetValueOrDefault(n.Name, string.Empty)))]);
    }

    private string WriteSummary(string output, NightlySummary summary, string? reason, long startedTimestamp)
    {
        summary.WallSeconds = Math.Round(clock.GetElapsedTime(startedTimestamp).TotalSeconds, 1);
        if (reason is null)
        {
            summary.Outcome = RunOutcome.Running;
        }

        var path = Path.Combine(output, "nightly.json");
        summary.Write(path);
        return path;
    }
}
