using System.Diagnostics;
using System.Text.RegularExpressions;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Processes;
using ChaosEdge.Tests.Support;
using k8s;

namespace ChaosEdge.Tests.Cluster;

/// <summary>
/// Two harness processes and one lab, reserved on a management cluster (here the lab's own API server) with
/// <c>--reserve-with</c>: racing, exactly one faults the lab and the other exits 2 naming the holder; a holder killed
/// with SIGKILL in the middle of its fault keeps the lab for its lease's duration, after which the next run takes it,
/// recovers the killed run's fault from the journal first, and then runs its own.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed partial class ReservedFaultCommandTests
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");

    private static string LeaseName => "chaosedge-lab-" + ClusterLab.Inventory.ClusterName;

    [Test]
    public async Task Two_harness_processes_racing_for_one_lab_one_faults_it_and_the_other_exits_2_naming_the_holder()
    {
        var node = await NonHolderAsync();
        using var client = ClusterLab.Client();
        await LabReservationTests.DeleteAsync(client, LeaseName);
        try
        {
            string[] Arguments() => ["fault", "--inventory", ClusterLab.Inventory.SourcePath, "kubelet-stop", "--node", node, "--duration", "3s",
                "--reserve-with", ClusterLab.Provisioned.KubeconfigPath, "--reserve-wait", "0s"];
            var results = await Task.WhenAll(
                ProcessRunner.RunAsync("dotnet", [Cli, .. Arguments()], timeout: TimeSpan.FromMinutes(3)),
                ProcessRunner.RunAsync("dotnet", [Cli, .. Arguments()], timeout: TimeSpan.FromMinutes(3)));
            foreach (var r in results)
            {
                TestContext.Out.WriteLine($"exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
            }

            var winner = results.SingleOrDefault(r => r.ExitCode == 0);
            var loser = results.SingleOrDefault(r => r.ExitCode == 2);
            Assert.That(winner, Is.Not.Null, "Exactly one run must fault the lab.");
            Assert.That(loser, Is.Not.Null, "The other must exit 2.");
            var holder = HolderIn(winner!.Stderr);
            Assert.Multiple(() =>
            {
                Assert.That(winner.Stderr, Does.Contain("Restored and verified"));
                Assert.That(loser!.Stderr, Does.Contain($"Lab '{ClusterLab.Inventory.ClusterName}' is reserved by '{holder}' since "));
                Assert.That(loser.Stderr, Does.Not.Contain("Injecting"), "The run that lost the race must not touch the lab.");
            });
            var lease = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default");
            Assert.That(lease.Spec.HolderIdentity, Is.Null.Or.Empty, "The winner releases the lab when it is done.");
        }
        finally
        {
            await LabReservationTests.DeleteAsync(client, LeaseName);
            await ClusterLab.WaitHealthyAsync();
        }
    }

    [Test]
    public async Task A_holder_killed_mid_fault_keeps_the_lab_for_its_lease_and_the_next_run_recovers_its_fault_first()
    {
        var node = await NonHolderAsync();
        var inventory = ClusterLab.Inventory;
        var journal = FaultJournal.For(inventory);
        using var client = ClusterLab.Client();
        await LabReservationTests.DeleteAsync(client, LeaseName);
        try
        {
            var (killed, killedLog) = await StartHoldingAsync(node, journal, "--reserve-duration", "6s");
            using var _ = killed;

            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
            var left = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default");
            var killedHolder = left.Spec.HolderIdentity;
            TestContext.Out.WriteLine($"killed holder '{killedHolder}', last renewed {left.Spec.RenewTime:O}\n{await killedLog}");
            Assert.That(killedHolder, Is.Not.Null.And.Not.Empty);

            var next = await ProcessRunner.RunAsync("dotnet", [Cli, "fault", "--inventory", inventory.SourcePath, "kubelet-stop", "--node", node, "--duration", "2s",
                "--reserve-with", ClusterLab.Provisioned.KubeconfigPath, "--reserve-duration", "6s", "--reserve-wait", "60s"], timeout: TimeSpan.FromMinutes(4));
            TestContext.Out.WriteLine($"exit {next.ExitCode}\n{next.Stdout}{next.Stderr}");
            var taken = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default");
            Assert.Multiple(() =>
            {
                Assert.That(next.ExitCode, Is.Zero);
                Assert.That(next.Stderr, Does.Contain($"is reserved by '{killedHolder}'"), "The next run first waits for the killed holder's lease.");
                Assert.That(next.Stderr, Does.Contain($"the previous holder '{killedHolder}' stopped renewing"));
                Assert.That(next.Stderr, Does.Contain("RESTORED"), "The killed run's fault is recovered from the journal before the next run faults the lab.");
                Assert.That(next.Stderr.IndexOf("RESTORED", StringComparison.Ordinal), Is.LessThan(next.Stderr.IndexOf("Injecting", StringComparison.Ordinal)));
                Assert.That(taken.Spec.AcquireTime, Is.GreaterThanOrEqualTo(left.Spec.RenewTime!.Value.AddSeconds(6)), "Not before the killed holder's renewTime + duration.");
                Assert.That(journal.Pending(), Is.Empty);
            });
        }
        finally
        {
            await LabReservationTests.DeleteAsync(client, LeaseName);
            await ClusterLab.WaitHealthyAsync();
        }
    }

    [Test]
    public async Task A_harness_stopped_with_SIGTERM_mid_fault_restores_it_and_releases_the_lab()
    {
        var node = await NonHolderAsync();
        var inventory = ClusterLab.Inventory;
        var journal = FaultJournal.For(inventory);
        using var client = ClusterLab.Client();
        await LabReservationTests.DeleteAsync(client, LeaseName);
        try
        {
            var (harness, log) = await StartHoldingAsync(node, journal);
            using var _ = harness;

            // What the kubelet sends a pod's process when the pod is stopped.
            var signal = await ProcessRunner.RunAsync("kill", ["-TERM", harness.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.That(signal.ExitCode, Is.Zero, signal.Stderr);
            using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                await harness.WaitForExitAsync(limit.Token);
            }

            var text = await log;
            TestContext.Out.WriteLine($"exit {harness.ExitCode}\n{text}");
            var lease = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default");
            Assert.Multiple(() =>
            {
                Assert.That(text, Does.Contain("Restored and verified"));
                Assert.That(harness.ExitCode, Is.EqualTo(2), "A fault cut short is a run that could not be completed.");
                Assert.That(journal.Pending(), Is.Empty, "The fault must be restored before the harness exits.");
                Assert.That(lease.Spec.HolderIdentity, Is.Null.Or.Empty, "The lab is released, so the next run need not wait for the lease to run out.");
            });
        }
        finally
        {
            await LabReservationTests.DeleteAsync(client, LeaseName);
            await ClusterLab.WaitHealthyAsync();
        }
    }

    [Test]
    public async Task A_harness_stopped_with_SIGTERM_while_injecting_restores_what_was_applied()
    {
        var node = await NonHolderAsync();
        var journal = FaultJournal.For(ClusterLab.Inventory);
        using var client = ClusterLab.Client();
        await LabReservationTests.DeleteAsync(client, LeaseName);
        try
        {
            using var harness = ProcessRunner.Start("dotnet", [Cli, "fault", "--inventory", ClusterLab.Inventory.SourcePath, "kubelet-stop", "--node", node, "--duration", "120s",
                "--reserve-with", ClusterLab.Provisioned.KubeconfigPath], redirectInput: false);
            _ = harness.StandardOutput.ReadToEndAsync();
            var lines = new System.Text.StringBuilder();
            while (await harness.StandardError.ReadLineAsync() is { } line)
            {
                lines.AppendLine(line);
                if (line.Contains("Injecting kubelet stop", StringComparison.Ordinal))
                {
                    // The signal lands while the fault is being injected (stopping K3s and verifying takes about a second).
                    var signal = await ProcessRunner.RunAsync("kill", ["-TERM", harness.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    Assert.That(signal.ExitCode, Is.Zero, signal.Stderr);
                    break;
                }
            }

            lines.Append(await harness.StandardError.ReadToEndAsync());
            await harness.WaitForExitAsync();
            var text = lines.ToString();
            TestContext.Out.WriteLine($"exit {harness.ExitCode}\n{text}");
            var lease = await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default");
            Assert.Multiple(() =>
            {
                Assert.That(harness.ExitCode, Is.EqualTo(2));
                Assert.That(text, Does.Contain("Restored and verified"));
                Assert.That(text, Does.Not.Contain("failed"), "An interrupted injection is not a failed one.");
                Assert.That(journal.Pending(), Is.Empty, "What was applied must be restored before the harness exits.");
                Assert.That(lease.Spec.HolderIdentity, Is.Null.Or.Empty);
            });
        }
        finally
        {
            await LabReservationTests.DeleteAsync(client, LeaseName);
            await ClusterLab.WaitHealthyAsync();
        }
    }

    /// <summary>
    /// Starts <c>chaosedge fault kubelet-stop</c> for 120 s with the lab reserved, and waits until it holds the fault:
    /// journalled as applied and its effect verified (the harness says "In effect"), so the test's signal or kill lands
    /// in the hold, not in the injection.
    /// </summary>
    private static async Task<(Process Harness, Task<string> Log)> StartHoldingAsync(string node, FaultJournal journal, params string[] reservation)
    {
        var harness = ProcessRunner.Start("dotnet", [Cli, "fault", "--inventory", ClusterLab.Inventory.SourcePath, "kubelet-stop", "--node", node, "--duration", "120s",
            "--reserve-with", ClusterLab.Provisioned.KubeconfigPath, .. reservation], redirectInput: false);
        _ = harness.StandardOutput.ReadToEndAsync();
        var lines = new System.Text.StringBuilder();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = Task.Run(async () =>
        {
            while (await harness.StandardError.ReadLineAsync() is { } line)
            {
                lines.AppendLine(line);
                if (line.Contains("In effect; holding", StringComparison.Ordinal))
                {
                    holding.TrySetResult();
                }
            }

            holding.TrySetResult();
            return lines.ToString();
        });
        await Task.WhenAny(holding.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (harness.HasExited || !holding.Task.IsCompleted || !journal.Pending().Any(r => r.Kind == FaultKind.KubeletStop && r.State == FaultState.Applied))
        {
            harness.Kill(entireProcessTree: true);
            Assert.Fail("The fault never took effect:\n" + await log);
        }

        return (harness, log);
    }

    /// <summary>A server that does not hold the control-plane VIP, so the management API (through the VIP) stays up.</summary>
    private static async Task<string> NonHolderAsync()
    {
        await ClusterLab.WaitHealthyAsync();
        var holders = await ClusterLab.HoldersOfAsync(ClusterLab.Vip);
        return ClusterLab.Inventory.Nodes.Select(n => n.Name).Last(n => !holders.Contains(n));
    }

    private static string HolderIn(string log) =>
        HolderPattern().Match(log) is { Success: true } m ? m.Groups[1].Value : throw new AssertionException("The winner's log names no holder:\n" + log);

    [GeneratedRegex("Reserved lab '[^']+' \\(Lease [^,]+, holder '([^']+)'\\)")]
    private static partial Regex HolderPattern();
}
