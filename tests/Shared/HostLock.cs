namespace ChaosEdge.Testing;

/// <summary>
/// One lab-heavy test assembly at a time on this machine: <c>dotnet test</c> runs the solution's test projects in
/// parallel, and two labs of clusters on two cores would disturb each other's millisecond measurements.
/// </summary>
public static class HostLock
{
    public const string Path = "/tmp/chaosedge-lab-tests.lock";

    public static async Task<FileStream> AcquireAsync()
    {
        for (var waited = TimeSpan.Zero; ; waited += TimeSpan.FromSeconds(1))
        {
            try
            {
                return new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited < TimeSpan.FromHours(1))
            {
                if (waited.TotalSeconds % 60 == 0)
                {
                    TestContext.Progress.WriteLine($"Waiting for the other lab test run to finish ({Path})");
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}
