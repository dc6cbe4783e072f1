using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Measurement.Sla;
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

    /// <summary>Suites and scenarios to run (see <see cref="ScenarioCatalog.Select"/>); null for all.</summary>
    public string? Filter { get; init; }

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
public sealed record NightlyOutcome(int ExitCode, string Reason, string SummaryPath, IReadOnlyList<JsonObject> Scenarios);

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
    public const string Schema = "chaosedge.nightly/1";

    private readonly TimeProvider clock = time ?? TimeProvider.System;

    public async Task<NightlyOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var selected = ScenarioCatalog.Select(options.Filter);
        var output = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(output);
        var started = clock.GetUtcNow();
        var startedTimestamp = clock.GetTimestamp();
        var summary = new JsonObject
        {
            ["schema"] = Schema,
            ["runId"] = started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2)),
            ["startedAt"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["harness"] = typeof(NightlyRun).Assembly.GetName().Version?.ToString(3) ?? "?",
            ["customer"] = options.Customer,
            ["filter"] = options.Filter ?? string.Empty,
        };
        var entries = selected.Select(s => new JsonObject
        {
            ["name"] = s.Name, ["suite"] = s.Suite, ["title"] = s.Title, ["status"] = "not-run", ["reason"] = "The run ended before this scenario.",
        }).ToList();
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
                summary["lab"] = LabSummary(lab, await lab.HardwareAsync(cancellationToken).ConfigureAwait(false));
                AllureResult.WriteEnvironment(Path.Combine(output, "allure-results"), new Dictionary<string, string>
                {
                    ["ChaosEdge"] = (string)summary["harness"]!, ["lab"] = lab.Description, ["cluster"] = lab.Environment.Inventory.ClusterName,
                    ["control-plane VIP"] = lab.Environment.Inventory.ControlPlane.Vip.ToString(), ["SLA"] = lab.Environment.Sla.SourcePath,
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
                await WriteSummaryAsync(output, summary, entries, null, startedTimestamp, CancellationToken.None).ConfigureAwait(false);
                if (incomplete is not null || lab is null)
                {
                    entry["reason"] = incomplete;
                    Skipped(output, scenario, incomplete ?? "The lab could not be opened.");
                    continue;
                }

                if (scenario.VirtualLabOnly && !lab.IsVirtual)
                {
                    entry["reason"] = "Runs on the built-in virtual lab only (it needs a lab of its own).";
                    Skipped(output, scenario, (string)entry["reason"]!);
                    continue;
                }

                if (!lab.IsVirtual && scenario.ShapeMismatch(lab.Environment.Inventory.Cluster.Dns) is { } mismatch)
                {
                    entry["reason"] = mismatch;
                    Skipped(output, scenario, mismatch);
                    continue;
                }

                if (!lab.IsVirtual && scenario.Definition.ClientProbe)
                {
                    entry["reason"] = "It probes from a client on the cluster's switch, which ChaosEdge puts only on the virtual lab it builds.";
                    Skipped(output, scenario, (string)entry["reason"]!);
                    continue;
                }

                if (scenario.TargetMissing(lab.Environment.Inventory) is { } noTarget)
                {
                    entry["reason"] = noTarget;
                    Skipped(output, scenario, noTarget);
                    continue;
                }

                if (!lab.IsVirtual && scenario.AgentsMissing(lab.Environment.Inventory) is { } noAgents)
                {
                    entry["reason"] = noAgents;
                    Skipped(output, scenario, noAgents);
                    continue;
                }

                progress.Report($"[{i + 1}/{selected.Count}] {scenario.Suite} · {scenario.Name}: {scenario.Title}");
                var scenarioStarted = clock.GetTimestamp();
                var allure = new AllureResult(Path.Combine(output, "allure-results"), scenario.Title, $"chaosedge.{scenario.Suite}.{scenario.Name}", scenario.Suite, scenario.Name, clock);
                allure.Parameter("scenario", scenario.Name);
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

                    var result = await RunAsync(session, scenario, new AllureObserver(allure, observer), cancellationToken).ConfigureAwait(false);
                    entry["fault"] = result.FaultDescription;
                    entry["record"] = $"scenarios/{scenario.Name}/run.json";
                    (entry["status"], entry["reason"]) = Judge(result);
                    allure.Attach("timeline", "image/svg+xml", "svg", TimelineChart.Render(result.Record));
                    allure.Attach("samples", "text/csv", "csv", SamplesCsv.Render(result.Timeline));
                    allure.Attach("run record", "application/json", "json", result.Record.ToJsonString());
                    allure.Finish((string?)entry["status"] == "pass" ? "passed" : "failed", (string?)entry["reason"]);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Interrupted (Ctrl+C): the fault session restored the fault; what was measured so far is still written.
                    entry["status"] = "error";
                    entry["reason"] = "Interrupted during this scenario; its fault was restored.";
                    allure.Finish("broken", (string)entry["reason"]!);
                    incomplete = $"The run was interrupted during '{scenario.Name}'.";
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var dirty = lab.Environment.Condition.IsDirty || twoNodes?.Environment.Condition.IsDirty == true || withAgents?.Environment.Condition.IsDirty == true;
                    entry["status"] = "error";
                    entry["reason"] = ErrorSummary(e, dirty);
                    entry["detail"] = SecretRedactor.Redact(e.Message);
                    progress.Report($"[{i + 1}/{selected.Count}] {scenario.Name}: technical detail: {entry["detail"]}");
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

                entry["seconds"] = Math.Round(clock.GetElapsedTime(scenarioStarted).TotalSeconds, 1);
                progress.Report($"[{i + 1}/{selected.Count}] {scenario.Name}: {((string?)entry["status"])!.ToUpperInvariant()} {entry["reason"]}");
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

        var errors = entries.Count(e => (string?)e["status"] == "error");
        var failed = entries.Count(e => (string?)e["status"] is "fail" or "inconclusive");
        var passed = entries.Count(e => (string?)e["status"] == "pass");
        var (exit, outcome, reason) =
            incomplete is not null ? (2, "incomplete", incomplete)
            : errors > 0 ? (2, "incomplete", $"{errors} scenario(s) could not be completed, so they have no verdicts: {string.Join(", ", entries.Where(e => (string?)e["status"] == "error").Select(e => (string?)e["name"]))}. What went wrong is told with each scenario, and in technical terms in the report's appendix and in nightly.log.")
            : failed > 0 ? (1, "fail", $"{failed} of {passed + failed} scenarios did not pass their SLA: {string.Join(", ", entries.Where(e => (string?)e["status"] is "fail" or "inconclusive").Select(e => (string?)e["name"]))}")
            : (0, "pass", $"All {passed} scenarios passed their SLA.");
        summary["outcome"] = outcome;
        summary["reason"] = reason;
        summary["finishedAt"] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        // Written even when the run was interrupted: nothing measured is lost.
        var path = await WriteSummaryAsync(output, summary, entries, reason, startedTimestamp, CancellationToken.None).ConfigureAwait(false);
        await WriteReportsAsync(output, summary, CancellationToken.None).ConfigureAwait(false);
        return new NightlyOutcome(exit, reason, path, entries);
    }

    /// <summary>Writes <c>report.html</c> and <c>junit.xml</c> from the summary and the run records on disk.</summary>
    public static async Task WriteReportsAsync(string output, JsonObject summary, CancellationToken cancellationToken = default)
    {
        JsonObject? Record(string relative)
        {
            var file = Path.Combine(output, relative);
            return File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject : null;
        }

        await File.WriteAllTextAsync(Path.Combine(output, "report.html"), AcceptanceReport.Render(summary, Record), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(output, "junit.xml"), JUnitReport.Render(summary, Record), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ScenarioResult> RunAsync(LabSession session, CatalogScenario scenario, IScenarioObserver observer, CancellationToken cancellationToken)
    {
        var runner = new ScenarioRunner(session.Environment);
        var original = session.Environment.Inventory.Cluster.Dns;
        if (scenario.DnsShape is not { } shape || !session.IsVirtual || CatalogScenario.Fits(shape, original))
        {
            return await runner.RunAsync(scenario.Definition, observer, scenario.CreateWorkload(session.Environment), cancellationToken).ConfigureAwait(false);
        }

        progress.Report($"Reshaping cluster DNS to {shape.Replicas} replica(s) for '{scenario.Name}'");
        await session.ReshapeAsync(c => c with { Dns = shape }, cancellationToken).ConfigureAwait(false);
        try
        {
            return await runner.RunAsync(scenario.Definition, observer, scenario.CreateWorkload(session.Environment), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await session.ReshapeAsync(c => c with { Dns = original }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void Skipped(string output, CatalogScenario scenario, string reason) =>
        new AllureResult(Path.Combine(output, "allure-results"), scenario.Title, $"chaosedge.{scenario.Suite}.{scenario.Name}", scenario.Suite, scenario.Name, clock).Finish("skipped", reason);

    /// <summary>Reports phases to the run's observer and records them as Allure steps.</summary>
    private sealed class AllureObserver(AllureResult allure, IScenarioObserver inner) : IScenarioObserver
    {
        public void PhaseStarted(ScenarioPhase phase, string description)
        {
            allure.StartStep($"{phase}: {description}");
            inner.PhaseStarted(phase, description);
        }

        public void PhaseEnded(ScenarioPhase phase, Exception? error)
        {
            allure.StopStep(error);
            inner.PhaseEnded(phase, error);
        }

        public void Step(string line)
        {
            allure.Step(line);
            inner.Step(line);
        }

        public void ProbesNow(IReadOnlyList<LiveProbe> probes) => inner.ProbesNow(probes);
    }

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

    private static (string Status, string Reason) Judge(ScenarioResult result)
    {
        if (result.DataLoss is { } loss)
        {
            return ("fail", "Data loss: " + loss);
        }

        var notPassed = result.Verdicts.Where(v => v.Outcome != SlaOutcome.Pass).ToList();
        if (notPassed.Count == 0)
        {
            return ("pass", $"{result.Verdicts.Count} verdicts passed.");
        }

        var status = notPassed.Any(v => v.Outcome == SlaOutcome.Fail) ? "fail" : "inconclusive";
        return (status, string.Join("; ", notPassed.Select(v => v.Summary)));
    }

    private static JsonObject LabSummary(LabSession lab, IReadOnlyDictionary<string, string> hardware)
    {
        var inventory = lab.Environment.Inventory;
        return new JsonObject
        {
            ["description"] = lab.Description,
            ["cluster"] = inventory.ClusterName,
            ["vip"] = inventory.ControlPlane.Vip.ToString(),
            ["sla"] = lab.Environment.Sla.SourcePath,
            ["versions"] = $"ChaosEdge {typeof(NightlyRun).Assembly.GetName().Version?.ToString(3)}, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}" + (lab.IsVirtual ? ", virtual lab node runtime (k3s-shaped)" : string.Empty),
            ["nodes"] = new JsonArray([.. inventory.Nodes.Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n.Name, ["address"] = n.Address.ToString(), ["role"] = n.Role.ToString().ToLowerInvariant(),
                ["bmc"] = n.Bmc is { } b ? $"{b.Kind.ToString().ToLowerInvariant()} {b.Address}" : string.Empty,
                ["hardware"] = hardware.GetValueOrDefault(n.Name, string.Empty),
            })]),
        };
    }

    private async Task<string> WriteSummaryAsync(string output, JsonObject summary, List<JsonObject> entries, string? reason, long startedTimestamp, CancellationToken cancellationToken)
    {
        summary["wallSeconds"] = Math.Round(clock.GetElapsedTime(startedTimestamp).TotalSeconds, 1);
        summary["scenarios"] = new JsonArray([.. entries.Select(e => (JsonNode)e.DeepClone())]);
        if (reason is null)
        {
            summary["outcome"] = "running";
        }

        var path = Path.Combine(output, "nightly.json");
        await File.WriteAllTextAsync(path + ".tmp", SecretRedactor.Redact(summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), cancellationToken).ConfigureAwait(false);
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }
}
