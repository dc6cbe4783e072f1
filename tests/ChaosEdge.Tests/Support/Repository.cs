namespace ChaosEdge.Tests.Support;

/// <summary>The repository the tests were built from: the directory above the test assembly that holds ChaosEdge.sln.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ChaosEdge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ChaosEdge.sln above {TestContext.CurrentContext.TestDirectory}.");
    });

    public static string Root => RootDirectory.Value;

    /// <summary>A path in the repository, from its parts (<c>Path("deploy", "container", "Containerfile")</c>).</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
