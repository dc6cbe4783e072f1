using System.Security.Cryptography;
using System.Text;
using ChaosEdge.Ssh;

namespace ChaosEdge.Tests.Ssh;

public sealed class KnownHostsFileTests
{
    private static readonly byte[] Ed25519 = Blob("ssh-ed25519", 1);
    private static readonly byte[] Other = Blob("ssh-ed25519", 2);
    private static readonly byte[] Rsa = Blob("ssh-rsa", 3);
    private string path = null!;

    [SetUp]
    public void CreateFile() => path = Path.Combine(Directory.CreateTempSubdirectory("ce-known-hosts-").FullName, "known_hosts");

    [TearDown]
    public void RemoveFile() => Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);

    [Test]
    public void A_plain_line_trusts_its_key_and_refuses_another_for_the_same_host()
    {
        File.WriteAllText(path, $"# comment\n\n198.18.0.11,edge-1 ssh-ed25519 {B64(Ed25519)} root@edge-1\n");
        var file = KnownHostsFile.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(file.Check("198.18.0.11", Ed25519), Is.EqualTo(KnownHostVerdict.Trusted));
            Assert.That(file.Check("edge-1", Ed25519), Is.EqualTo(KnownHostVerdict.Trusted));
            Assert.That(file.Check("198.18.0.11", Other), Is.EqualTo(KnownHostVerdict.Mismatch));
            Assert.That(file.Check("198.18.0.12", Ed25519), Is.EqualTo(KnownHostVerdict.Unknown));
            Assert.That(file.FingerprintsFor("198.18.0.11"), Is.EqualTo(new[] { KnownHostsFile.Fingerprint(Ed25519) }));
            Assert.That(file.KeyTypesFor("198.18.0.11"), Is.EquivalentTo(new[] { "ssh-ed25519" }));
        });
    }

    [Test]
    public void A_hashed_line_matches_only_the_name_it_was_hashed_from()
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        var hash = HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes("[198.18.0.11]:2222"));
        File.WriteAllText(path, $"|1|{B64(salt)}|{B64(hash)} ssh-ed25519 {B64(Ed25519)}\n");
        var file = KnownHostsFile.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(file.Check(KnownHostsFile.HostName("198.18.0.11", 2222), Ed25519), Is.EqualTo(KnownHostVerdict.Trusted));
            Assert.That(file.Check(KnownHostsFile.HostName("198.18.0.11", 2222), Other), Is.EqualTo(KnownHostVerdict.Mismatch));
            Assert.That(file.Check(KnownHostsFile.HostName("198.18.0.11", 22), Ed25519), Is.EqualTo(KnownHostVerdict.Unknown));
        });
    }

    [Test]
    public void Wildcards_and_negations_match_as_in_OpenSSH()
    {
        File.WriteAllText(path, $"198.18.0.*,!198.18.0.13 ssh-rsa {B64(Rsa)}\n");
        var file = KnownHostsFile.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(file.Check("198.18.0.11", Rsa), Is.EqualTo(KnownHostVerdict.Trusted));
            Assert.That(file.Check("198.18.0.13", Rsa), Is.EqualTo(KnownHostVerdict.Unknown), "negated");
            Assert.That(file.Check("198.18.1.11", Rsa), Is.EqualTo(KnownHostVerdict.Unknown));
            Assert.That(file.KeyTypesFor("198.18.0.12"), Is.EquivalentTo(new[] { "ssh-rsa" }));
        });
    }

    [Test]
    public void A_revoked_key_is_refused_even_where_another_line_lists_it()
    {
        File.WriteAllText(path, $"198.18.0.11 ssh-ed25519 {B64(Ed25519)}\n@revoked * ssh-ed25519 {B64(Ed25519)}\n@cert-authority * ssh-ed25519 {B64(Other)}\n");
        var file = KnownHostsFile.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(file.Check("198.18.0.11", Ed25519), Is.EqualTo(KnownHostVerdict.Revoked));
            Assert.That(file.Check("198.18.0.11", Other), Is.EqualTo(KnownHostVerdict.Mismatch), "a CA line vouches for no host key here");
        });
    }

    [Test]
    public void An_appended_key_is_trusted_afterwards_and_the_file_is_private()
    {
        KnownHostsFile.Append(path, "[198.18.0.12]:2222", Ed25519);
        Assert.Multiple(() =>
        {
            Assert.That(KnownHostsFile.Load(path).Check("[198.18.0.12]:2222", Ed25519), Is.EqualTo(KnownHostVerdict.Trusted));
            Assert.That(File.ReadAllText(path), Is.EqualTo($"[198.18.0.12]:2222 ssh-ed25519 {B64(Ed25519)}\n"));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        });
    }

    [Test]
    public void A_missing_file_knows_no_host() =>
        Assert.That(KnownHostsFile.Load(path + ".absent").Check("198.18.0.11", Ed25519), Is.EqualTo(KnownHostVerdict.Unknown));

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    // An SSH public key blob: the type as a length-prefixed string, then (here) 32 bytes of a recognisable filler.
    private static byte[] Blob(string type, byte filler)
    {
        var name = Encoding.ASCII.GetBytes(type);
        var blob = new byte[4 + name.Length + 4 + 32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, (uint)name.Length);
        name.CopyTo(blob, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(4 + name.Length), 32);
        blob.AsSpan(8 + name.Length).Fill(filler);
        return blob;
    }
}
