using ChaosEdge.Processes;
using ChaosEdge.Ssh;

namespace ChaosEdge.Tests.Ssh;

public sealed class HostKeyFingerprintTests
{
    [TestCase("ed25519")]
    [TestCase("ecdsa")]
    [TestCase("rsa")]
    public async Task Fingerprint_matches_what_ssh_keygen_prints(string type)
    {
        var directory = Directory.CreateTempSubdirectory("ce-fpr-").FullName;
        try
        {
            var key = Path.Combine(directory, "key");
            var generated = await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", type, "-N", string.Empty, "-f", key]);
            Assert.That(generated.ExitCode, Is.Zero, generated.Stderr);
            var listed = await ProcessRunner.RunAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", key + ".pub"]);
            var expected = listed.Stdout.Split(' ')[1];

            Assert.That(HostKeyFingerprint.FromPublicKeyFile(key + ".pub"), Is.EqualTo(expected));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_line_that_is_not_a_public_key_is_rejected() =>
        Assert.That(() => HostKeyFingerprint.FromPublicKeyLine("garbage"), Throws.InstanceOf<FormatException>());
}
