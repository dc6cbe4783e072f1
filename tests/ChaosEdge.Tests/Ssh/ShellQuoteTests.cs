using ChaosEdge.Ssh;

namespace ChaosEdge.Tests.Ssh;

public sealed class ShellQuoteTests
{
    [TestCase("plain", "plain")]
    [TestCase("/var/lib/x.yaml", "/var/lib/x.yaml")]
    [TestCase("two words", "'two words'")]
    [TestCase("it's", "'it'\\''s'")]
    [TestCase("", "''")]
    [TestCase("$(rm -rf /)", "'$(rm -rf /)'")]
    public void Quote_makes_one_shell_word(string value, string expected) =>
        Assert.That(ShellQuote.Quote(value), Is.EqualTo(expected));

    [Test]
    public async Task Quoted_words_survive_a_real_shell()
    {
        string[] words = ["a b", "it's", "$HOME", "\"q\"", "back\\slash", "*"];
        var result = await ChaosEdge.Processes.ProcessRunner.RunAsync("sh", ["-c", "printf '%s\\n' " + ShellQuote.Join(words)]);
        Assert.That(result.Stdout.TrimEnd('\n').Split('\n'), Is.EqualTo(words));
    }
}
