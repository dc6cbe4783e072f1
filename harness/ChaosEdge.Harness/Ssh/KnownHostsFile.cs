using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ChaosEdge.Ssh;

/// <summary>
/// An OpenSSH known_hosts file, read as <c>sshd(8)</c>'s "SSH_KNOWN_HOSTS FILE FORMAT" describes it: comma-separated
/// host patterns (<c>*</c> and <c>?</c> wildcards, <c>!</c> negation, <c>[host]:port</c> for a port other than 22) or a
/// hashed name (<c>|1|salt|HMAC-SHA1</c>), then the key type and the base64 key. <c>@revoked</c> lines refuse a key;
/// <c>@cert-authority</c> lines are not used (host certificates are not supported) and ignored.
/// </summary>
public sealed class KnownHostsFile
{
    private readonly List<Entry> entries;

    private KnownHostsFile(string path, List<Entry> entries)
    {
        Path = path;
        this.entries = entries;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Reads <paramref name="path"/>; a missing file reads as empty.</summary>
    public static KnownHostsFile Load(string path)
    {
        var entries = new List<Entry>();
        if (File.Exists(path))
        {
            foreach (var raw in File.ReadLines(path))
            {
                if (Parse(raw) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }

        return new KnownHostsFile(path, entries);
    }

    /// <summary>The name a host is listed under: the address for port 22, else <c>[address]:port</c>.</summary>
    public static string HostName(string host, int port) =>
        port == 22 ? host : $"[{host}]:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The key types (<c>ssh-ed25519</c>, <c>ssh-rsa</c>, …) listed for <paramref name="hostName"/>.</summary>
    public IReadOnlySet<string> KeyTypesFor(string hostName) =>
        entries.Where(e => !e.Revoked && e.Matches(hostName)).Select(e => KeyType(e.Key)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Checks the key blob <paramref name="key"/> a host presented under <paramref name="hostName"/>.</summary>
    public KnownHostVerdict Check(string hostName, byte[] key)
    {
        if (entries.Any(e => e.Revoked && e.Key.AsSpan().SequenceEqual(key)))
        {
            return KnownHostVerdict.Revoked;
        }

        var listed = entries.Where(e => !e.Revoked && e.Matches(hostName)).ToList();
        if (listed.Count == 0)
        {
            return KnownHostVerdict.Unknown;
        }

        return listed.Any(e => e.Key.AsSpan().SequenceEqual(key)) ? KnownHostVerdict.Trusted : KnownHostVerdict.Mismatch;
    }

    /// <summary>The SHA256 fingerprints of the keys listed for <paramref name="hostName"/>, as <c>ssh-keygen -lf</c> prints them.</summary>
    public IReadOnlyList<string> FingerprintsFor(string hostName) =>
        [.. entries.Where(e => !e.Revoked && e.Matches(hostName)).Select(e => Fingerprint(e.Key))];

    /// <summary>Appends a plain line for <paramref name="hostName"/> and <paramref name="key"/>, creating the file (mode 0600).</summary>
    public static void Append(string path, string hostName, byte[] key)
    {
        var line = $"{hostName} {KeyType(key)} {Convert.ToBase64String(key)}\n";
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(line));
    }

    /// <summary>The SHA256 fingerprint of a key blob: <c>SHA256:</c> and unpadded base64.</summary>
    public static string Fingerprint(byte[] key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key)).TrimEnd('=');

    /// <summary>The key type named at the start of an SSH public key blob (RFC 4253 §6.6).</summary>
    public static string KeyType(byte[] key)
    {
        if (key.Length < 4)
        {
            return string.Empty;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(key);
        return length <= key.Length - 4 ? Encoding.ASCII.GetString(key, 4, (int)length) : string.Empty;
    }

    private static Entry? Parse(string raw)
    {
        var line = raw.Trim();
        if (line.Length == 0 || line[0] == '#')
        {
            return null;
        }

        var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var revoked = false;
        if (fields[0].StartsWith('@'))
        {
            if (fields[0] != "@revoked")
            {
                return null;
            }

            revoked = true;
            fields = fields[1..];
        }

        if (fields.Length < 3)
        {
            return null;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(fields[2]);
        }
        catch (FormatException)
        {
            return null;
        }

        return new Entry(fields[0], key, revoked);
    }

    private sealed record Entry(string Hosts, byte[] Key, bool Revoked)
    {
        public bool Matches(string hostName)
        {
            if (Hosts.StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = Hosts.Split('|');
                if (parts.Length != 4)
                {
                    return false;
                }

                try
                {
                    var salt = Convert.FromBase64String(parts[2]);
                    var hash = Convert.FromBase64String(parts[3]);
                    return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(hostName)), hash);
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            var matched = false;
            foreach (var pattern in Hosts.Split(','))
            {
                if (pattern.StartsWith('!'))
                {
                    if (Glob(pattern[1..], hostName))
                    {
                        return false;
                    }
                }
                else if (Glob(pattern, hostName))
                {
                    matched = true;
                }
            }

            return matched;
        }

        private static bool Glob(string pattern, string text)
        {
            // OpenSSH's match_pattern: '*' any run, '?' one character, case-insensitive for host names.
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
                {
                    p++;
                    t++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    star = p++;
                    mark = t;
                }
                else if (star >= 0)
                {
                    p = star + 1;
                    t = ++mark;
                }
                else
                {
                    return false;
                }
            }

            while (p < pattern.Length && pattern[p] == '*')
            {
                p++;
            }

            return p == pattern.Length;
        }
    }
}

/// <summary>What a known_hosts file says of a presented host key.</summary>
public enum KnownHostVerdict
{
    /// <summary>Listed for the host.</summary>
    Trusted,

    /// <summary>The host is not listed.</summary>
    Unknown,

    /// <summary>The host is listed, with other keys.</summary>
    Mismatch,

    /// <summary>The key is marked <c>@revoked</c>.</summary>
    Revoked,
}
