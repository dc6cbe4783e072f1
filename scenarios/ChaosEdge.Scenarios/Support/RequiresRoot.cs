namespace ChaosEdge.Scenarios.Support;

/// <summary>The virtual lab needs root: ignored without it on a workstation, a failure on CI (<c>CI=true</c>).</summary>
public static class RequiresRoot
{
    public static void Ensure()
    {
        if (Environment.IsPrivilegedProcess)
        {
            return;
        }

        const string Reason = "The scenarios need root to build the virtual lab (or CHAOSEDGE_INVENTORY naming a real lab).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(Reason + " On CI a missing prerequisite is a failure.");
        }

        Assert.Ignore(Reason);
    }
}
