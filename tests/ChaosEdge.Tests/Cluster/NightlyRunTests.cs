using System.Text.Json.Nodes;
using System.Xml.Linq;
using ChaosEdge.Campaigns;
using ChaosEdge.Faults.Targets;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Measurement.Trials;
using ChaosEdge.Reports;
using ChaosEdge.Runs;
using ChaosEdge.Scenarios;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The nightly job against the provisioned lab cluster given by its inventory (one short scenario, a kubelet stop on
/// a non-holder): the run completes, writes its summary, run record, report and JUnit XML, and no secret of the
/// inventory — BMC password, cluster token, SSH private key — appears in any file it wrote.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class NightlyRunTests
{
    [Test]
    public async Task Nightly_writes_its_summary_record_report_and_JUnit_and_no_secret_of_the_inventory()
    {
        var output = Directory.CreateTempSubdirectory("chaosedge-nightly-").FullName;
        var lines = new List<string>();
        var progress = new NightlyLines(lines);
        try
        {
            var outcome = await new NightlyRun(
                new NightlyOptions { InventoryPath = ClusterLab.Inventory.SourcePath, Filter = "non-holder-kubelet-stop", OutputDirectory = output, Customer = "Test Customer AG" },
                new NightlyObserver(lines), progress).RunAsync();

            var summary = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "nightly.json")))!;
            var scenario = (summary["scenarios"] as JsonArray)!.OfType<JsonObject>().Single();
            var junit = XDocument.Load(Path.Combine(output, "junit.xml"));
            var report = await File.ReadAllTextAsync(Path.Combine(output, "report.html"));
            Assert.Multiple(() =>
            {
                Assert.That(outcome.ExitCode, Is.Not.EqualTo(2), outcome.Reason + "\n" + string.Join('\n', lines.TakeLast(30)));
                Assert.That((string?)summary["outcome"], Is.EqualTo(outcome.ExitCode == 0 ? "pass" : "fail"));
                Assert.That((string?)scenario["name"], Is.EqualTo("non-holder-kubelet-stop"));
                Assert.That((string?)scenario["status"], Is.EqualTo(outcome.ExitCode == 0 ? "pass" : "fail").Or.EqualTo("inconclusive"));
                Assert.That(File.Exists(Path.Combine(output, "scenarios", "non-holder-kubelet-stop", "run.json")));
                Assert.That(junit.Descendants("testcase").Count(), Is.EqualTo(1));
                Assert.That(junit.Descendants("failure").Count(), Is.EqualTo(outcome.ExitCode == 0 ? 0 : 1));
                Assert.That(report, Does.Contain("id=\"scenario-non-holder-kubelet-stop\"").And.Contain("<svg").And.Contain("Test Customer AG"));
            });

            // What a user sees in the Allure 3 report made from the run's results with the configuration the run wrote.
            var allure = await AllureCommandLine.GenerateAsync(output);
            var shown = allure.Results().Single();
            Assert.Multiple(() =>
            {
                Assert.That(shown.Name, Is.EqualTo((string?)scenario["title"]));
                Assert.That(shown.Status, Is.EqualTo(outcome.ExitCode == 0 ? "passed" : "failed"));
                Assert.That(shown.Steps, Has.Some.StartsWith("Inject: "), "the phases are steps");
                Assert.That(shown.Steps, Has.Some.StartsWith("Restore: "), "the phases are steps");
                Assert.That(shown.Attachments, Is.SupersetOf(new[] { "run record", "samples", "timeline" }));
                Assert.That(allure.Environment(), Does.ContainKey("control-plane VIP").WithValue(ClusterLab.Inventory.ControlPlane.Vip.ToString()));
            });

            var lab = Path.GetDirectoryName(ClusterLab.Inventory.SourcePath)!;
            var secrets = new Dictionary<string, string>
            {
                ["BMC password"] = (await File.ReadAllTextAsync(Path.Combine(lab, "bmc", "password"))).Trim(),
                ["cluster token"] = (await File.ReadAllTextAsync(Path.Combine(lab, "cluster-token"))).Trim(),
                ["SSH private key"] = (await File.ReadAllLinesAsync(Path.Combine(lab, "keys", "id_ed25519"))).First(l => !l.StartsWith("-----", StringComparison.Ordinal)),
            };
            foreach (var file in Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories))
            {
                var text = await File.ReadAllTextAsync(file);
                foreach (var (name, secret) in secrets)
                {
                    Assert.That(secret, Has.Length.GreaterThan(8), name);
                    Assert.That(text, Does.Not.Contain(secret), $"the {name} in {file}");
                }
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Test]
    public async Task A_nightly_run_interrupted_mid_fault_restores_the_fault_and_still_writes_what_it_measured()
    {
        var output = Directory.CreateTempSubdirectory("chaosedge-nightly-").FullName;
        var lines = new List<string>();
        using var interrupt = new CancellationTokenSource();
        var observer = new NightlyObserver(lines)
        {
            // Ctrl+C two seconds into the first fault.
            OnPhase = phase =>
            {
                if (phase == ScenarioPhase.Observe)
                {
                    interrupt.CancelAfter(TimeSpan.FromSeconds(2));
                }
            },
        };
        try
        {
            var outcome = await new NightlyRun(
                new NightlyOptions { InventoryPath = ClusterLab.Inventory.SourcePath, NoProvision = true, Filter = "non-holder-kubelet-stop,non-holder-power-off", OutputDirectory = output },
                observer, new NightlyLines(lines)).RunAsync(interrupt.Token);

            var summary = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "nightly.json")))!;
            var statuses = (summary["scenarios"] as JsonArray)!.OfType<JsonObject>().Select(s => ((string?)s["name"], (string?)s["status"])).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(outcome.ExitCode, Is.EqualTo(2));
                Assert.That(outcome.Reason, Is.EqualTo("The run was interrupted during 'non-holder-power-off'."));
                Assert.That((string?)summary["outcome"], Is.EqualTo("incomplete"));
                Assert.That(statuses, Is.EqualTo(new[] { ("non-holder-power-off", "error"), ("non-holder-kubelet-stop", "not-run") }), "catalog order");
                Assert.That(File.Exists(Path.Combine(output, "report.html")) && File.Exists(Path.Combine(output, "junit.xml")));
                Assert.That(ChaosEdge.Faults.Journal.FaultJournal.For(ClusterLab.Inventory).Pending(), Is.Empty, "the fault was restored and cleared from the journal");
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
            await ClusterLab.WaitHealthyAsync();
        }
    }

    /// <summary>
    /// The done-when of campaigns as data: a customer's campaign (the shipped example: the node running an edge-app pod
    /// powered off, an HTTP probe on its LoadBalancer service, its own SLA block) run by <c>nightly --campaign</c> with 3
    /// trials: every trial's record, the statistics over them, bounded verdicts, and the distribution in the report.
    /// </summary>
    [Test]
    public async Task Nightly_runs_a_customer_campaign_with_trials_and_reports_the_distribution_and_bounded_verdicts()
    {
        var output = Directory.CreateTempSubdirectory("chaosedge-campaign-").FullName;
        var lines = new List<string>();
        try
        {
            // The node the scenario must pick: the first by name running a Ready edge-app pod when it starts.
            using var client = ClusterLab.Client();
            var expected = (await ClusterRoles.WorkloadPodsAsync(client, "default", "app=edge-app")).Where(p => p.Ready).Select(p => p.Node).Order(StringComparer.Ordinal).First();
            var campaign = CampaignLoader.Load(Path.Combine(AppContext.BaseDirectory, "campaigns", "examples", "edge-app-power-off.yaml"));
            var outcome = await new NightlyRun(
                new NightlyOptions { InventoryPath = ClusterLab.Inventory.SourcePath, Campaign = campaign, Trials = 3, OutputDirectory = output },
                new NightlyObserver(lines), new NightlyLines(lines)).RunAsync();

            var summary = NightlySummary.Read(Path.Combine(output, "nightly.json"));
            var entry = summary.Scenarios.Single();
            var trials = TrialsDocument.Read((JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, entry.Trials!)))!);
            var firstRecord = await File.ReadAllTextAsync(Path.Combine(output, trials.Records[0]));
            var report = await File.ReadAllTextAsync(Path.Combine(output, "report.html"));
            var tail = outcome.Reason + "\n" + string.Join('\n', lines.TakeLast(40));
            Assert.Multiple(() =>
            {
                Assert.That(outcome.ExitCode, Is.Not.EqualTo(2), tail);
                Assert.That(summary.Campaign, Does.StartWith("edge-app-power-off"));
                Assert.That(entry.Name, Is.EqualTo("edge-app-node-power-off"));
                Assert.That(entry.Status, Is.Not.EqualTo(ScenarioStatus.Error), tail);
                Assert.That(trials.Records, Has.Count.EqualTo(3));
                Assert.That(trials.Records.Select(r => File.Exists(Path.Combine(output, r))), Is.All.True);
                Assert.That(firstRecord, Does.Contain("\"edge-http\""), "the application probe ran and was analysed");
                Assert.That(firstRecord, Does.Contain($"\"target\": \"{expected}\""), "the first trial's target ran a Ready edge-app pod (the first by node name)");
                var http = trials.Metrics.Single(m => m.Threshold.Probe == "edge-http" && m.Threshold.Metric == SlaMetric.Takeover);
                Assert.That(http.Values, Has.Count.EqualTo(3).And.All.Not.Null, "a takeover per trial");
                Assert.That(http.Statistics!.CiLow, Is.LessThanOrEqualTo(http.Statistics.Mean));
                Assert.That(http.Statistics.CiHigh, Is.GreaterThanOrEqualTo(http.Statistics.Mean));
                Assert.That(http.Threshold.Source, Does.Contain("edge-app-power-off.yaml:"), "judged by the campaign's own SLA block");
                Assert.That(report, Does.Contain("class=\"trials\"").And.Contain("class=\"trial-chart\""));
                Assert.That(entry.Status, Is.EqualTo(trials.Metrics.Any(m => m.Outcome == SlaOutcome.Fail) ? ScenarioStatus.Fail
                    : trials.Metrics.Any(m => m.Outcome == SlaOutcome.Inconclusive) ? ScenarioStatus.Inconclusive : ScenarioStatus.Pass));
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
