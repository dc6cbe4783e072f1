using System.Security.Cryptography;
using System.Text;

namespace ChaosEdge.Provision.Cluster;

/// <summary>The built node runtime (ce-k3s) the lab installs: its content hash, which says whether a node's copy is current.</summary>
public static class NodeRuntimeFiles
{
    /// <summary>SHA-256 over every file's relative path and bytes, in name order.</summary>
    public static string Hash(string runtimeDirectory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(runtimeDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(runtimeDirectory, file)));
            sha.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
