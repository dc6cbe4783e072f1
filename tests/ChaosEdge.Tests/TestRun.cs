using ChaosEdge.Testing;

namespace ChaosEdge.Tests;

/// <summary>Holds the host lock for the whole assembly: the scenario suites run their labs before or after, never beside.</summary>
[SetUpFixture]
public sealed class TestRun
{
    private FileStream? hostLock;

    [OneTimeSetUp]
    public async Task AcquireAsync() => hostLock = await HostLock.AcquireAsync();

    [OneTimeTearDown]
    public void Release() => hostLock?.Dispose();
}
