using System.Security.Cryptography;
using System.Text;

namespace ChaosEdge.NodeRuntime.Tls;

/// <summary>
/// K3s's secure join token, <c>K10&lt;sha256 of the CA bundle&gt;::server:&lt;password&gt;</c>: the hash lets a joining
/// node verify the server it joins before it sends the password.
/// </summary>
internal sealed record ClusterToken(string? CaHash, string Password)
{
    public static ClusterToken Parse(string token)
    {
        token = token.Trim();
        if (token.StartsWith("K10", StringComparison.Ordinal) && token.IndexOf("::", StringComparison.Ordinal) is var split and > 3)
        {
            var credentials = token[(split + 2)..];
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            return new ClusterToken(token[3..split], colon >= 0 ? credentials[(colon + 1)..] : credentials);
        }

        return new ClusterToken(null, token);
    }

    public static string Hash(string caBundlePem) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(caBundlePem)));

    public string Full(string caBundlePem) => $"K10{Hash(caBundlePem)}::server:{Password}";

    /// <summary>Compares in constant time.</summary>
    public bool Accepts(string password) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(Password));
}
