using System.Buffers.Binary;
using ChaosEdge.Measurement.Agent;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Measurement;

/// <summary>
/// The node-side agent the harness carries: a static ELF executable for each architecture of the field (x86-64 lab and
/// N100 nodes, aarch64 RK3588 boards), small enough to upload once per node, needing no loader, no libc and no runtime
/// on the node.
/// </summary>
public sealed class ProbeAgentBuildTests
{
    private static readonly (string Rid, ushort Machine)[] Builds = [("linux-x64", 0x3E), ("linux-arm64", 0xB7)];

    [TestCaseSource(nameof(Builds))]
    public void The_agent_is_a_small_static_ELF_executable_for_its_architecture((string Rid, ushort Machine) build)
    {
        if (!ProbeAgent.Binaries.TryGetValue(build.Rid, out var binary))
        {
            // The arm64 build needs Debian's cross compiler when the harness is built; without it that build is missing.
            Prerequisite.Program("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
            Assert.Fail($"The harness was built without the {build.Rid} agent although the cross compiler is installed: build it again.");
            return;
        }

        var programHeaders = BinaryPrimitives.ReadInt64LittleEndian(binary.AsSpan(32));
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(binary.AsSpan(54));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(binary.AsSpan(56));
        var types = Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(binary.AsSpan((int)(programHeaders + (i * entrySize))))).ToList();
        var type = BinaryPrimitives.ReadUInt16LittleEndian(binary.AsSpan(16));
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(binary.AsSpan(18));
        Assert.Multiple(() =>
        {
            Assert.That(binary[..4], Is.EqualTo("\u007fELF"u8.ToArray()), "ELF magic");
            Assert.That(binary[4], Is.EqualTo(2), "64-bit");
            Assert.That(type, Is.EqualTo(2), "an executable (ET_EXEC: linked statically, not position-independent)");
            Assert.That(machine, Is.EqualTo(build.Machine), "machine");
            Assert.That(types, Does.Not.Contain(3u), "no PT_INTERP: it needs no dynamic loader on the node");
            Assert.That(types, Does.Not.Contain(2u), "no PT_DYNAMIC: it needs no shared library on the node");
            Assert.That(binary, Has.Length.LessThan(2 << 20), "size");
        });
        TestContext.Out.WriteLine($"{build.Rid}: {binary.Length / 1024} KiB");
    }
}
