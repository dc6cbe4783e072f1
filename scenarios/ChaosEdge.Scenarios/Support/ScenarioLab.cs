using ChaosEdge.Inventory;
using ChaosEdge.Runs;

namespace ChaosEdge.Scenarios.Support;

/// <summary>
/// A lab the scenario tests run against (a <see cref="LabSession"/>). With an inventory named by the
/// <c>CHAOSEDGE_INVENTORY</c> environment variable or the <c>inventory</c> runsettings parameter, that lab (provisioned
/// already; its kubeconfig next to the inventory). Without one, the built-in virtual lab: brought up as root and
/// provisioned once for the whole run, with short node-lifecycle timings, torn down at the end.
/// </summary>
public sealed class ScenarioLab(LabSession session) : IAsyncDisposable
{
    public ScenarioEnvironment Environment => session.Environment;

    /// <summary>The run layer's session, which <see cref="ScenarioRuns"/> runs scenarios on.</summary>
    public LabSession Session => session;

    /// <summary>Whether this is the built-in virtual lab (so its shape may be changed, and it is torn down).</summary>
    public bool IsVirtual => session.IsVirtual;

    public string Description => session.Description;

    /// <summary>
    /// The campaign file named by the <c>CHAOSEDGE_CAMPAIGN</c> environment variable or the <c>campaign</c> runsettings
    /// parameter, if any: its scenarios are the Campaign suite's test cases.
    /// </summary>
    public static string? ConfiguredCampaign =>
        System.Environment.GetEnvironmentVariable("CHAOSEDGE_CAMPAIGN") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : TestContext.Parameters.Get("campaign") is { Length: > 0 } fromRunSettings ? fromRunSettings : null;

    /// <summary>The inventory named by the environment or runsettings, if any.</summary>
    public static string? ConfiguredInventory =>
        System.Environment.GetEnvironmentVariable("CHAOSEDGE_INVENTORY") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : TestContext.Parameters.Get("inventory") is { Length: > 0 } fromRunSettings ? fromRunSettings : null;

    /// <summary>The configured lab, or a new virtual lab of <paramref name="servers"/> servers named <paramref name="labName"/>.</summary>
    public static async Task<ScenarioLab> OpenAsync(string labName, int servers, string output)
    {
        if (ConfiguredInventory is null)
        {
            RequiresRoot.Ensure();
        }

        var progress = new Progress<string>(line => TestContext.Progress.WriteLine($"lab {labName}: {line}"));
        return new ScenarioLab(await LabSession.OpenAsync(ConfiguredInventory, labName, servers, output, progress));
    }

    /// <summary>A new virtual lab of 3 servers and <paramref name="agents"/> agents named <paramref name="labName"/>, for the scenarios that fault an agent.</summary>
    public static async Task<ScenarioLab> OpenWithAgentsAsync(string labName, int agents, string output)
    {
        RequiresRoot.Ensure();
        var progress = new Progress<string>(line => TestContext.Progress.WriteLine($"lab {labName}: {line}"));
        return new ScenarioLab(await LabSession.OpenWithAgentsAsync(labName, agents, output, progress));
    }

    /// <summary>Re-provisions the virtual lab's cluster in another shape (DNS replicas, say).</summary>
    public Task ReshapeAsync(Func<ClusterSettings, ClusterSettings> shape) => session.ReshapeAsync(shape);

    public ValueTask DisposeAsync() => session.DisposeAsync();
}
