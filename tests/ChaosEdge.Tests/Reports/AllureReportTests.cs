using ChaosEdge.Reports;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Reports;

/// <summary>
/// Allure results as ChaosEdge writes them, read by the real Allure 3 command line: what its report shows is what was
/// written — every result with its status, steps and attachments, the environment's keys as written (spaces and all),
/// and failed and broken results in their categories.
/// </summary>
[NonParallelizable]
public sealed class AllureReportTests
{
    [Test]
    public async Task Allure_3_shows_each_result_with_its_status_steps_and_attachments_the_environment_as_written_and_the_categories()
    {
        var directory = Directory.CreateTempSubdirectory("chaosedge-allure-").FullName;
        try
        {
            var results = Path.Combine(directory, "allure-results");
            var clock = new ManualClock();
            var passed = new AllureResult(results, "vip-holder-power-off", "chaosedge.Failover.vip-holder-power-off", "Failover", "vip-holder-power-off", clock);
            passed.StartStep("Inject: power-off of 'edge-1'");
            passed.Step("Fault took effect after 412 ms");
            passed.StopStep();
            passed.Attach("run record", "application/json", "json", "{\"schema\":\"chaosedge.run/1\"}");
            passed.Finish("passed");
            var sla = new AllureResult(results, "etcd-leader-loss", "chaosedge.Etcd.etcd-leader-loss", "Etcd", "etcd-leader-loss", clock);
            sla.Step("Observe for 10–60 s");
            sla.Finish("failed", "SLA verdicts not passed: etcd takeover 9.1 s limit 5 s");
            var broken = new AllureResult(results, "dns-ha-shape", "chaosedge.Dns.dns-ha-shape", "Dns", "dns-ha-shape", clock);
            broken.Finish("broken", "The lab could not be provisioned.");
            var environment = new Dictionary<string, string>
            {
                ["ChaosEdge"] = "0.1.0",
                ["control-plane VIP"] = "198.18.0.100",
                ["a key: with = separators"] = "value with \\ backslash",
                ["nodes"] = "edge-1 198.18.0.11, edge-2 198.18.0.12",
            };
            AllureResult.WriteEnvironment(results, environment);
            AllureResult.WriteCategories(results);
            AllureResult.WriteReportConfig(directory, "allure-results", "ChaosEdge test");

            var report = await AllureCommandLine.GenerateAsync(directory);

            var shown = report.Results().ToDictionary(r => r.Name);
            var categories = report.Categories();
            Assert.Multiple(() =>
            {
                Assert.That(shown.Keys, Is.EquivalentTo(new[] { "vip-holder-power-off", "etcd-leader-loss", "dns-ha-shape" }));
                Assert.That(shown["vip-holder-power-off"].Status, Is.EqualTo("passed"));
                Assert.That(shown["vip-holder-power-off"].Steps, Is.EqualTo(new[] { "Inject: power-off of 'edge-1'", "Fault took effect after 412 ms" }));
                Assert.That(shown["vip-holder-power-off"].Attachments, Is.EqualTo(new[] { "run record" }));
                Assert.That(shown["etcd-leader-loss"].Status, Is.EqualTo("failed"));
                Assert.That(shown["dns-ha-shape"].Status, Is.EqualTo("broken"));
                Assert.That(report.Environment(), Is.EqualTo(environment), "the environment as written");
                Assert.That(categories.Keys, Is.EquivalentTo(new[] { AllureResult.SlaFailure, AllureResult.HarnessFailure }));
                Assert.That(categories.GetValueOrDefault(AllureResult.SlaFailure), Is.EqualTo(new[] { "etcd-leader-loss" }));
                Assert.That(categories.GetValueOrDefault(AllureResult.HarnessFailure), Is.EqualTo(new[] { "dns-ha-shape" }));
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestCase("control-plane VIP", true, @"control-plane\ VIP")]
    [TestCase("a=b:c", true, @"a\=b\:c")]
    [TestCase(" leading", false, @"\ leading")]
    [TestCase("x = y", false, "x = y")]
    [TestCase(@"C:\path", false, @"C:\\path")]
    public void Properties_keys_and_values_are_escaped(string text, bool key, string expected) =>
        Assert.That(AllureResult.PropertiesEscape(text, key), Is.EqualTo(expected));
}
