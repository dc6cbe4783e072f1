using System.Net;
using ChaosEdge.Health;

namespace ChaosEdge.Tests.Health;

public sealed class ArpTableTests
{
    [Test]
    public void Only_complete_entries_are_read_with_their_MAC_in_lower_case_and_their_device()
    {
        const string table = """
            IP address       HW type     Flags       HW address            Mask     Device
            198.18.0.100     0x1         0x2         6E:20:1D:56:00:24     *        ce-default
            198.18.0.12      0x1         0x0         00:00:00:00:00:00     *        ce-default
            198.18.0.11      0x1         0x6         36:4b:d0:3e:ed:7f     *        ce-default

            """;

        var entries = ClientArpCheck.ParseArpTable(table);

        Assert.That(entries, Is.EqualTo(new[]
        {
            new ClientArpCheck.ArpEntry(IPAddress.Parse("198.18.0.100"), "6e:20:1d:56:00:24", "ce-default"),
            new ClientArpCheck.ArpEntry(IPAddress.Parse("198.18.0.11"), "36:4b:d0:3e:ed:7f", "ce-default"),
        }));
    }
}
