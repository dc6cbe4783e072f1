using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using ChaosEdge.Secrets;

namespace ChaosEdge.Reports;

/// <summary>
/// JUnit XML of a nightly run, one test suite per ChaosEdge suite and one test case per scenario: a failed or
/// inconclusive SLA verdict or lost data is a failure, a scenario that could not run (harness or lab trouble) an
/// error, one not selected for this lab skipped.
/// </summary>
public static class JUnitReport
{
    public static string Render(NightlySummary summary, Func<string, JsonObject?> record)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(record);
        var scenarios = summary.Scenarios;
        var suites = new XElement("testsuites", new XAttribute("name", "chaosedge nightly " + summary.RunId));
        foreach (var suite in scenarios.GroupBy(s => s.Suite))
        {
            var element = new XElement("testsuite", new XAttribute("name", suite.Key));
            foreach (var scenario in suite)
            {
                var status = scenario.Status;
                var reason = SecretRedactor.Redact(scenario.Reason ?? string.Empty);
                var testCase = new XElement("testcase",
                    new XAttribute("classname", "chaosedge." + suite.Key),
                    new XAttribute("name", $"{scenario.Name}: {scenario.Title}"),
                    new XAttribute("time", (scenario.Seconds ?? 0).ToString("0.000", CultureInfo.InvariantCulture)));
                switch (status)
                {
                    case ScenarioStatus.Fail or ScenarioStatus.Inconclusive:
                        // Several trials: the verdicts over them (trials.json's metrics, same fields), not the first trial's.
                        var verdicts = (scenario.Trials is { } trials ? record(trials)?["metrics"] as JsonArray
                            : scenario.Record is { } path ? record(path)?["verdicts"] as JsonArray : null) ?? [];
                        var details = string.Join('\n', verdicts.OfType<JsonObject>().Where(v => (string?)v["outcome"] != "Pass")
                            .Select(v => $"{((string?)v["outcome"])?.ToUpperInvariant()} {v["probe"]} {v["metric"]}: {v["measured"]} (limit {v["limit"]}) {v["reason"]}"));
                        testCase.Add(new XElement("failure", new XAttribute("message", reason), SecretRedactor.Redact(details)));
                        break;
                    case ScenarioStatus.Error:
                        // The plain summary as the message; the technical detail (for engineers) as the text.
                        testCase.Add(new XElement("error", new XAttribute("message", reason), SecretRedactor.Redact(scenario.Detail ?? string.Empty)));
                        break;
                    case ScenarioStatus.NotRun:
                        testCase.Add(new XElement("skipped", new XAttribute("message", reason)));
                        break;
                }

                element.Add(testCase);
            }

            element.Add(new XAttribute("tests", suite.Count()),
                new XAttribute("failures", suite.Count(s => s.NotPassed)),
                new XAttribute("errors", suite.Count(s => s.Status == ScenarioStatus.Error)),
                new XAttribute("skipped", suite.Count(s => s.Status == ScenarioStatus.NotRun)));
            suites.Add(element);
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).ToString();
    }
}
