using ChaosEdge.Campaigns;
using ChaosEdge.Scenarios.Support;

namespace ChaosEdge.Scenarios.Suites;

// NUnit 5 marks [Order] obsolete for [DependsOnFixture]/[DependsOnTest], which also run the tests a filter left out and
// skip a dependant whose dependency failed. The suites' order is the nightly's run order, not a dependency, so [Order] stays.
#pragma warning disable CS0618

/// <summary>
/// A customer's own campaign as NUnit test cases: every scenario of the campaign file named by <c>CHAOSEDGE_CAMPAIGN</c>
/// (or the <c>campaign</c> runsettings parameter) is a test named after it, in the categories <c>Campaign</c> and its own
/// suite, so <c>dotnet test --filter Customer</c> (or <c>--filter Name~edge-app</c>) selects it. Without one, the shipped
/// example campaign (<c>campaigns/examples/edge-app-power-off.yaml</c>) runs, so the path a customer's campaign takes —
/// a target found by a pod selector, an application probe, repeated trials judged on their distribution — is tested on
/// every run. On CI its trials are capped at <see cref="CiTrials"/> (the full count is the nightly's).
/// </summary>
[TestFixture]
[Category("Campaign")]
[Order(8)]
public sealed class CampaignSuite : ScenarioSuite
{
    /// <summary>
    /// Trials per scenario when <c>CI=true</c>: the fewest that can bound a verdict. Two cannot in practice: Student's t
    /// for one degree of freedom is 12.7, so two takeovers 1.3 s apart (the example's spread: 6.8–9.4 s over five trials)
    /// give an interval of ±16 s around their mean; three give about ±3 s (t = 4.3).
    /// </summary>
    public const int CiTrials = 3;

    protected override string Suite => "Campaign";

    /// <summary>The campaign these tests run.</summary>
    public static Campaign Campaign { get; } = Load();

    private static IEnumerable<TestCaseData> Scenarios() =>
        Campaign.Scenarios.Select(s => new TestCaseData(s.Name).SetName($"{s.Suite}: {s.Name}").SetCategory(s.Suite).SetDescription(s.Title));

    [TestCaseSource(nameof(Scenarios))]
    public async Task A_campaign_scenario_passes_its_SLA_over_its_trials(string name)
    {
        var scenario = Campaign.Get(name);
        if (scenario.LabServers == 2 || scenario.LabAgents > 0)
        {
            Assert.Fail($"'{name}' needs a lab of {scenario.LabServers} servers and {scenario.LabAgents} agent(s); the Campaign suite runs on the run's lab (3 servers, no agents). Run it with 'chaosedge nightly --campaign', which opens such labs.");
        }

        await TestContext.Out.WriteLineAsync($"Campaign '{Campaign.Name}' ({Campaign.SourcePath}): {name}, {scenario.Definition.Trials} trial(s)");
        var outcome = await RunTrialsAsync(ScenarioRun.Lab, scenario);
        Assert.That(outcome.Trials, Has.Count.EqualTo(scenario.Definition.Trials));
    }

    private static Campaign Load()
    {
        var path = ScenarioLab.ConfiguredCampaign ?? Path.Combine(AppContext.BaseDirectory, "campaigns", "examples", "edge-app-power-off.yaml");
        var campaign = CampaignLoader.Load(path);
        return Environment.GetEnvironmentVariable("CI") != "true" ? campaign
            : campaign with { Scenarios = [.. campaign.Scenarios.Select(s => s.Definition.Trials <= CiTrials ? s : s with { Definition = s.Definition with { Trials = CiTrials } })] };
    }
}
