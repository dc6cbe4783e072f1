using ChaosEdge.Scenarios.Support;
using ChaosEdge.Testing;

namespace ChaosEdge.Scenarios;

/// <summary>
/// The run's lab, once for every suite: the lab named by <c>CHAOSEDGE_INVENTORY</c> (or the <c>inventory</c>
/// runsettings parameter), else the built-in 3-server virtual lab 'cesc', provisioned once and torn down at the end.
/// </summary>
[SetUpFixture]
public sealed class ScenarioRun
{
    private FileStream? hostLock;

    public static ScenarioLab Lab { get; private set; } = null!;

    public static string Output { get; } = Path.Combine(TestContext.CurrentContext.WorkDirectory, "scenario-runs", TimeProvider.System.GetUtcNow().ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));

    [OneTimeSetUp]
    public async Task OpenAsync()
    {
        hostLock = await HostLock.AcquireAsync();
        Lab = await ScenarioLab.OpenAsync("cesc", 3, Output);
        var inventory = Lab.Environment.Inventory;
        AllureResults.WriteEnvironment(new Dictionary<string, string>
        {
            ["ChaosEdge"] = typeof(ScenarioRunner).Assembly.GetName().Version?.ToString() ?? "?",
            [".NET"] = Environment.Version.ToString(),
            ["OS"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["lab"] = Lab.Description,
            ["cluster"] = inventory.ClusterName,
            ["nodes"] = string.Join(", ", inventory.Nodes.Select(n => $"{n.Name} {n.Address} {n.Role.ToString().ToLowerInvariant()}{(n.Bmc is { } b ? $" bmc {b.Kind.ToString().ToLowerInvariant()} {b.Address}" : string.Empty)}")),
            ["control-plane VIP"] = inventory.ControlPlane.Vip.ToString(),
            ["node grace period"] = inventory.Cluster.NodeMonitorGracePeriod.ToString(),
            ["SLA"] = Lab.Environment.Sla.SourcePath,
        });
    }

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        hostLock?.Dispose();
    }
}
