using System.Text.Json.Nodes;
using System.Xml.Linq;
using ChaosEdge.Reports;

namespace ChaosEdge.Tests.Reports;

public sealed class JUnitReportTests
{
    [Test]
    public void An_inconclusive_scenario_is_a_failure_listing_its_verdicts_one_not_completed_an_error_with_its_detail_and_one_not_run_is_skipped()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Reports", "Fixtures");
        var summary = NightlySummary.Read(Path.Combine(fixtures, "nightly.json"));

        var xml = XDocument.Parse(JUnitReport.Render(summary, relative => JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, relative))) as JsonObject));

        var suite = xml.Root!.Elements("testsuite").Single();
        Assert.That(((string?)suite.Attribute("name"), (int?)suite.Attribute("tests"), (int?)suite.Attribute("failures"), (int?)suite.Attribute("errors"), (int?)suite.Attribute("skipped")),
            Is.EqualTo(("Failover", 3, 1, 1, 1)));
        var failure = suite.Descendants("failure").Single();
        Assert.That(failure.Value, Does.Contain("INCONCLUSIVE vip-tcp Takeover").And.Not.Contain("api-readyz-fresh"), "the verdicts that did not pass, and only those");
        Assert.That((string?)suite.Descendants("skipped").Single().Attribute("message"), Is.EqualTo("The lab is dirty: the cluster did not recover."));
        var error = suite.Descendants("error").Single();
        Assert.That((string?)error.Attribute("message"), Does.StartWith("Not completed: the harness lost its connection to node 'edge-1'"), "the plain summary");
        Assert.That(error.Value, Does.Contain("command: systemctl start k3s"), "and the technical detail, for the engineer reading CI");
    }
}
