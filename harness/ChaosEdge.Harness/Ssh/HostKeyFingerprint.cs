using System.Security.Cryptography;

namespace ChaosEdge.Ssh;

/// <summary>OpenSSH host-key fingerprints, computed exactly as <c>ssh-keygen -lf</c> does.</summary>
public static class HostKeyFingerprint
{
    /// <summary>The SHA256 fingerprint (<c>SHA256:</c> and unpadded base64) of a public key line such as <c>ssh-ed25519 AAAA… comment</c>.</summary>
    /// <exception cref="FormatException">The line is not an OpenSSH public key.</exception>
    public static string FromPublicKeyLine(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new FormatException($"'{line.Trim()}' is not an OpenSSH public key line.");
        }

        var blob = Convert.FromBase64String(parts[1]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    /// <summary>The SHA256 fingerprint of the public key in <paramref name="path"/> (a <c>.pub</c> file).</summary>
    public static string FromPublicKeyFile(string path) => FromPublicKeyLine(File.ReadAllText(path));
}
