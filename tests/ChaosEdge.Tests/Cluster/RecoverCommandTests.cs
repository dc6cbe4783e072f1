using System.Diagnostics;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// The harness is killed (SIGKILL) in the middle of a NIC-down fault: the node restores itself (its timer), the
/// journal still lists the fault, and <c>chaosedge recover</c> verifies and clears it and leaves the lab healthy.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class RecoverCommandTests
{
    [Test]
    public async Task A_harness_killed_during_a_NIC_down_fault_leaves_a_node_that_restores_itself_and_recover_leaves_the_lab_healthy()
    {
        var inventory = ClusterLab.Inventory;
        var journal = FaultJournal.For(inventory);
        var node = inventory.Node("edge-3");
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
        using var harness = ProcessRunner.Start("dotnet", [cli, "fault", "--inventory", inventory.SourcePath, "nic-down", "--node", node.Name, "--duration", "8s"], redirectInput: false);
        _ = harness.StandardOutput.ReadToEndAsync();
        _ = harness.StandardError.ReadToEndAsync();

        // Wait until the fault is journalled as applied and the node has gone off the network, then SIGKILL the harness.
        var watch = Stopwatch.StartNew();
        while (!journal.Pending().Any(r => r.Kind == FaultKind.NicDown && r.State == FaultState.Applied) || await AnswersAsync(node))
        {
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "The NIC-down fault never took effect.");
            await Task.Delay(50);
        }

        harness.Kill(entireProcessTree: true);
        await harness.WaitForExitAsync();
        var pending = journal.Pending();
        Assert.That(pending.Select(r => r.Kind), Is.EqualTo(new[] { FaultKind.NicDown }), "The journal must still list the fault the killed harness applied.");

        // Nobody restores it but the node itself.
        watch.Restart();
        while (!await AnswersAsync(node))
        {
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "The node did not bring its NIC back by itself.");
            await Task.Delay(200);
        }

        TestContext.Out.WriteLine($"edge-3 answered again {(TimeProvider.System.GetUtcNow() - pending[0].InjectedAt).TotalSeconds:0.0} s after the injection (duration 8 s).");
        var recover = await ProcessRunner.RunAsync("dotnet", [cli, "recover", "--inventory", inventory.SourcePath], timeout: TimeSpan.FromMinutes(3));
        TestContext.Out.WriteLine(recover.Stdout + recover.Stderr);
        Assert.Multiple(() =>
        {
            Assert.That(recover.ExitCode, Is.Zero, recover.Stdout + recover.Stderr);
            Assert.That(recover.Stdout, Does.Contain("RESTORED").And.Contain(pending[0].Id));
            Assert.That(journal.Pending(), Is.Empty);
        });

        await ClusterLab.WaitHealthyAsync();
        var again = await ProcessRunner.RunAsync("dotnet", [cli, "recover", "--inventory", inventory.SourcePath], timeout: TimeSpan.FromMinutes(1));
        Assert.That(again.Stdout, Does.Contain("nothing to recover"));
    }

    private static async Task<bool> AnswersAsync(ChaosEdge.Inventory.NodeSpec node)
    {
        using var client = new System.Net.Sockets.TcpClient();
        using var limit = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            await client.ConnectAsync(node.Address, 22, limit.Token);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
