using ChaosEdge.Provision.VirtualLab;

namespace ChaosEdge.Tests.Support;

/// <summary>Programs a test uses besides the lab's own: missing, the test fails on CI and is ignored elsewhere.</summary>
public static class Prerequisite
{
    /// <summary>The full path of <paramref name="program"/>; fails (CI) or ignores the test when it is not installed.</summary>
    public static string Program(string program, string package)
    {
        if (HostPrerequisites.Find(program) is { } path)
        {
            return path;
        }

        var reason = $"This test needs '{program}' (Debian package '{package}'), which is not installed.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + " On CI a missing prerequisite is a failure.");
        }

        Assert.Ignore(reason);
        return program;
    }
}
