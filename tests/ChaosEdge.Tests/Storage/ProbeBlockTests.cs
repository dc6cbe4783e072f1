using System.Text;
using ChaosEdge.Storage;

namespace ChaosEdge.Tests.Storage;

public sealed class ProbeBlockTests
{
    [TestCase(1L, 1)]
    [TestCase(123_456_789_012L, 2047)]
    public void Both_layouts_say_which_write_they_hold(long sequence, int slot)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ProbeBlock.Read(ProbeBlock.Create(sequence, slot)), Is.EqualTo((sequence, slot)));
            Assert.That(ProbeBlock.Read(ProbeBlock.CreateText(sequence, slot)), Is.EqualTo((sequence, slot)));
        });
    }

    [Test]
    public void The_text_layout_is_the_agents_header_line_and_payload()
    {
        var block = ProbeBlock.CreateText(7, 3);
        var text = Encoding.ASCII.GetString(block);
        Assert.Multiple(() =>
        {
            Assert.That(block, Has.Length.EqualTo(ProbeBlock.Size));
            Assert.That(text, Does.Match("^CEVOLTXT 0000000000000007 00000003 [0-9a-f]{64}\nce-volume-probe seq 7 slot 3\n"));
        });
    }

    // A changed payload byte, a changed sequence digit (the header is covered by the hash too), a torn block whose
    // second half is another write's.
    [TestCase(2000, "X")]
    [TestCase(24, "9")]
    [TestCase(35, "g")]
    public void A_text_block_changed_anywhere_is_not_read_as_a_probe_write(int offset, string replacement)
    {
        var block = ProbeBlock.CreateText(7, 3);
        Encoding.ASCII.GetBytes(replacement, block.AsSpan(offset));
        Assert.That(ProbeBlock.Read(block), Is.Null);
    }

    [Test]
    public void A_torn_text_block_is_not_read_as_either_write()
    {
        var torn = ProbeBlock.CreateText(7, 3);
        ProbeBlock.CreateText(8, 3).AsSpan(2048).CopyTo(torn.AsSpan(2048));
        Assert.That(ProbeBlock.Read(torn), Is.Null);
    }
}
