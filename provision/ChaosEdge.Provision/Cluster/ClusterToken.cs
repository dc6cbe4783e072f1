using System.Security.Cryptography;
using ChaosEdge.Inventory;
using ChaosEdge.Secrets;

namespace ChaosEdge.Provision.Cluster;

/// <summary>The cluster's join secret when the inventory names none: generated once, kept next to the inventory (mode 0600).</summary>
public static class ClusterToken
{
    public static string PathFor(LabInventory inventory) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "cluster-token");

    /// <summary>Reads the kept secret, or creates it; <paramref name="created"/> says which. The value is registered for redaction.</summary>
    public static string LoadOrCreate(LabInventory inventory, out bool created)
    {
        var path = PathFor(inventory);
        created = !File.Exists(path);
        if (!created)
        {
            var existing = File.ReadAllText(path).Trim();
            SecretRedactor.Register(existing);
            return existing;
        }

        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        using (File.Create(path))
        {
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, secret);
        SecretRedactor.Register(secret);
        return secret;
    }
}
