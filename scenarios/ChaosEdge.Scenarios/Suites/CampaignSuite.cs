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
/// every run. On CI its trials are capped at <see cref="CiTrials"/> (the full count is the nightly's), and a verdict
/// that the capped trials leave inconclusive is reported, not failed (a failed one fails).
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

    /// <summary>Where the campaign comes from: <c>CHAOSEDGE_CAMPAIGN</c> (or the runsettings' <c>campaign</c>), else the shipped example.</summary>
    public static string CampaignPath => ScenarioLab.ConfiguredCampaign ?? Path.Combine(AppContext.BaseDirectory, "campaigns", "examples", "edge-app-power-off.yaml");

    /// <summary>The campaign these tests run, read when first asked for.</summary>
    public static Campaign Campaign => Loaded.Value;

    /// <summary>The trials each scenario's campaign asks for, before CI's cap.</summary>
    private static readonly Dictionary<string, int> AskedTrials = new(StringComparer.Ordinal);

    private static readonly Lazy<Campaign> Loaded = new(Load);

    /// <summary>
    /// A test case per scenario; a campaign file that is not valid gives one case that fails with its located problems
    /// (rather than a type initializer's exception that hides them).
    /// </summary>
    private static IEnumerable<TestCaseData> Scenarios()
    {
        IReadOnlyList<TestCaseData> cases;
        try
        {
            cases = [.. Campaign.Scenarios.Select(s => new TestCaseData(s.Name).SetName($"{s.Suite}: {s.Name}").SetCategory(s.Suite).SetDescription(s.Title))];
        }
        catch (Errors.ChaosEdgeException)
        {
            cases = [new TestCaseData(InvalidCampaign).SetName($"Campaign file {Path.GetFileName(CampaignPath)}")];
        }

        return cases;
    }

    private const string InvalidCampaign = "(invalid campaign)";

    [TestCaseSource(nameof(Scenarios))]
    public async Task A_campaign_scenario_passes_its_SLA_over_its_trials(string name)
    {
        if (name == InvalidCampaign)
        {
            // Reads it again, so the test fails with every problem, each with file, line, column and field.
            _ = CampaignLoader.Load(CampaignPath);
        }

        var scenario = Campaign.Get(name);
        if (scenario.LabServers == 2 || scenario.LabAgents > 0)
        {
            Assert.Ignore($"'{name}' needs a lab of {scenario.LabServers} servers and {scenario.LabAgents} agent(s); the Campaign suite runs on the run's lab (3 servers, no agents). 'chaosedge nightly --campaign' opens such labs.");
        }

        await TestContext.Out.WriteLineAsync($"Campaign '{Campaign.Name}' ({Campaign.SourcePath}): {name}, {scenario.Definition.Trials} trial(s)");
        var asked = AskedTrials.GetValueOrDefault(name, scenario.Definition.Trials);
        var outcome = await RunTrialsAsync(ScenarioRun.Lab, scenario, asked > scenario.Definition.Trials ? asked : null);
        Assert.That(outcome.Trials, Has.Count.EqualTo(scenario.Definition.Trials));
    }

    private static Campaign Load()
    {
        var campaign = CampaignLoader.Load(CampaignPath);
        foreach (var s in campaign.Scenarios)
        {
            AskedTrials[s.Name] = s.Definition.Trials;
        }

        return Environment.GetEnvironmentVariable("CI") != "true" ? campaign
            : campaign with { Scenarios = [.. campaign.Scenarios.Select(s => s.Definition.Trials <= CiTrials ? s : s with { Definition = s.Definition with { Trials = CiTrials } })] };
    }
}
