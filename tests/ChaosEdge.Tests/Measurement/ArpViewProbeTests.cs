using System.Net;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Network;

namespace ChaosEdge.Tests.Measurement;

public sealed class ArpViewProbeTests
{
    private static readonly byte[] Node = [0x02, 0x00, 0x00, 0x00, 0x00, 0x11];
    private static readonly IPAddress Vip = IPAddress.Parse("198.18.0.200");

    [Test]
    public void Only_a_reply_to_the_views_own_probe_counts_as_an_answer()
    {
        var reply = ArpSocket.Frame(Node, 2, Vip, ArpViewProbe.ViewMac, IPAddress.Any, ArpViewProbe.ViewMac);
        var gratuitous = ArpSocket.Frame(Node, 1, Vip, new byte[6], Vip, ArpSocket.Broadcast);
        var toSomeoneElse = ArpSocket.Frame(Node, 2, Vip, [0x02, 0, 0, 0, 0, 0x99], IPAddress.Parse("198.18.0.1"), [0x02, 0, 0, 0, 0, 0x99]);
        var otherAddress = ArpSocket.Frame(Node, 2, IPAddress.Parse("198.18.0.201"), ArpViewProbe.ViewMac, IPAddress.Any, ArpViewProbe.ViewMac);

        Assert.Multiple(() =>
        {
            Assert.That(ArpViewProbe.Answer(reply, Vip), Is.EqualTo(Node));
            Assert.That(ArpViewProbe.Answer(gratuitous, Vip), Is.Null, "an announcement is not an answer: a handover would look like two holders");
            Assert.That(ArpViewProbe.Answer(toSomeoneElse, Vip), Is.Null);
            Assert.That(ArpViewProbe.Answer(otherAddress, Vip), Is.Null);
            Assert.That(ArpViewProbe.Answer(reply.AsSpan(0, 30), Vip), Is.Null, "a short frame");
        });
    }
}
