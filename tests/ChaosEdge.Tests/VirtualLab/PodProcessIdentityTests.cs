using System.Diagnostics;
using ChaosEdge.NodeRuntime.Kubelet;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>
/// The lab kubelet knows a pod's process by its kernel start time: a pod starts as a chain of execs (sh, unshare, sh,
/// chroot, the command), and the start time is the one identity that stays put through all of them.
/// </summary>
public sealed class PodProcessIdentityTests
{
    [Test]
    public async Task A_process_keeps_its_start_time_through_exec_and_loses_it_when_it_is_gone()
    {
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0.3; exec sh -c 'exec sleep 5'"]) { UseShellExecute = false })!;
        var before = PodRunner.StartTicks(process.Id);
        var command = await File.ReadAllTextAsync($"/proc/{process.Id}/cmdline");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = PodRunner.StartTicks(process.Id);
        var execed = await File.ReadAllTextAsync($"/proc/{process.Id}/cmdline");
        process.Kill();
        await process.WaitForExitAsync();

        Assert.Multiple(() =>
        {
            Assert.That(execed, Is.Not.EqualTo(command), "the process ran another program after the first reading");
            Assert.That(before, Is.GreaterThan(0UL));
            Assert.That(after, Is.EqualTo(before), "exec keeps the start time");
            Assert.That(PodRunner.StartTicks(process.Id), Is.Zero, "a process that is gone has none");
            Assert.That(PodRunner.StartTicks(Environment.ProcessId), Is.Not.EqualTo(before), "another process has another");
        });
    }
}
