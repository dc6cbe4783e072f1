using NUnit.Framework.Interfaces;

namespace ChaosEdge.Tests.Support;

/// <summary>
/// Marks a test (or fixture) that needs root and the virtual lab. Without root it is ignored on a workstation, and
/// fails on CI (<c>CI=true</c>): a test never turns green by skipping its work where it is supposed to run.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresRootAttribute : CategoryAttribute, ITestAction
{
    public RequiresRootAttribute()
        : base("Lab")
    {
    }

    public ActionTargets Targets => ActionTargets.Suite | ActionTargets.Test;

    public void BeforeTest(ITest test) => Ensure();

    public void AfterTest(ITest test)
    {
    }

    /// <summary>Fails on CI, or ignores elsewhere, unless the process is root.</summary>
    public static void Ensure()
    {
        if (Environment.IsPrivilegedProcess)
        {
            return;
        }

        const string Reason = "This test needs root: it builds a virtual lab of network namespaces.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(Reason + " On CI a missing prerequisite is a failure.");
        }

        Assert.Ignore(Reason);
    }
}
