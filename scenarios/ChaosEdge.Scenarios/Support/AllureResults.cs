using ChaosEdge.Reports;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// Allure results for the scenario suites (<see cref="AllureResult"/> for the test NUnit is running): suite and feature
/// labels, a step per scenario phase with its own steps, the run record, timeline and raw samples attached, NUnit's
/// outcome as the status. The directory is <c>ALLURE_RESULTS_DIRECTORY</c>, else <c>allure-results</c> in the test
/// run's working directory.
/// </summary>
public static class AllureResults
{
    public static string Directory =>
        System.Environment.GetEnvironmentVariable("ALLURE_RESULTS_DIRECTORY") is { Length: > 0 } configured ? configured : Path.Combine(TestContext.CurrentContext.WorkDirectory, "allure-results");

    public static AllureResult Start(string suite, string feature) =>
        new(Directory, TestContext.CurrentContext.Test.Name, TestContext.CurrentContext.Test.FullName, suite, feature);

    /// <summary>Writes the result with NUnit's outcome; an SLA failure (or lost data) is 'failed', anything else that went wrong 'broken'.</summary>
    public static void Finish(AllureResult allure)
    {
        ArgumentNullException.ThrowIfNull(allure);
        var context = TestContext.CurrentContext.Result;
        var message = context.Message ?? string.Empty;
        var status = context.Outcome.Status switch
        {
            NUnit.Framework.Interfaces.TestStatus.Passed => "passed",
            NUnit.Framework.Interfaces.TestStatus.Skipped => "skipped",
            NUnit.Framework.Interfaces.TestStatus.Failed when context.Outcome.Site == NUnit.Framework.Interfaces.FailureSite.Test
                && (message.Contains("SLA", StringComparison.Ordinal) || message.Contains("Data loss", StringComparison.Ordinal)) => "failed",
            _ => "broken",
        };
        allure.Finish(status, message, context.StackTrace);
    }

    /// <summary>
    /// Writes <c>environment.properties</c> and <c>categories.json</c>, and beside the results directory the
    /// <c>allurerc.json</c> with which <c>allure generate</c>, run there, makes the HTML report.
    /// </summary>
    public static void WriteEnvironment(IReadOnlyDictionary<string, string> values)
    {
        AllureResult.WriteEnvironment(Directory, values);
        AllureResult.WriteCategories(Directory);
        var results = Path.GetFullPath(Directory).TrimEnd('/');
        AllureResult.WriteReportConfig(Path.GetDirectoryName(results)!, Path.GetFileName(results), "ChaosEdge scenario suites");
    }
}
