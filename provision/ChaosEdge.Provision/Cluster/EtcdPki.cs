using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Pki;
using ChaosEdge.Secrets;

namespace ChaosEdge.Provision.Cluster;

/// <summary>
/// The external etcd cluster's certificates when the inventory has etcd nodes: a CA of the cluster's own, a member
/// certificate per etcd node (server and peer, for its name and address) and one client certificate (the K3s servers'
/// and etcdctl's). Generated once and kept next to the inventory in <c>etcd-pki/</c> (keys mode 0600), as the cluster
/// token is; the plan names them by source and the executor writes their contents, never shown.
/// </summary>
public static class EtcdPki
{
    public static string DirectoryFor(LabInventory inventory) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inventory.SourcePath))!, "etcd-pki");

    /// <summary>How the plan names a file of the set: <c>etcd-pki/ca.crt</c>, <c>etcd-pki/member-NODE.key</c>, <c>etcd-pki/client.crt</c>.</summary>
    public static string Source(string file) => $"etcd-pki/{file}";

    /// <summary>Every file of the set by its <see cref="Source"/>, created where missing; keys are registered for redaction.</summary>
    public static IReadOnlyDictionary<string, string> LoadOrCreate(LabInventory inventory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var directory = DirectoryFor(inventory);
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var ca = File.Exists(Path.Combine(directory, "ca.key"))
            ? CertificateAuthority.Load(File.ReadAllText(Path.Combine(directory, "ca.crt")), File.ReadAllText(Path.Combine(directory, "ca.key")))
            : Keep(directory, "ca", CertificateAuthority.Create($"{inventory.ClusterName}-etcd-ca", time));
        var files = new Dictionary<string, string>(StringComparer.Ordinal) { [Source("ca.crt")] = ca.CertificatePem };
        foreach (var node in inventory.EtcdNodes)
        {
            Issue(directory, $"member-{node.Name}", files, () => ca.Issue(node.Name, [node.Name, "localhost"], [node.Address, IPAddress.Loopback], server: true, client: true, time));
        }

        Issue(directory, "client", files, () => ca.Issue("kube-apiserver-etcd-client", [], [], server: false, client: true, time));
        return files;
    }

    private static CertificateAuthority Keep(string directory, string name, CertificateAuthority ca)
    {
        Write(directory, name + ".key", ca.KeyPem);
        Write(directory, name + ".crt", ca.CertificatePem);
        return ca;
    }

    private static void Issue(string directory, string name, Dictionary<string, string> files, Func<(string Certificate, string Key)> issue)
    {
        if (!File.Exists(Path.Combine(directory, name + ".key")) || !File.Exists(Path.Combine(directory, name + ".crt")))
        {
            var (certificate, key) = issue();
            Write(directory, name + ".key", key);
            Write(directory, name + ".crt", certificate);
        }

        files[Source(name + ".crt")] = File.ReadAllText(Path.Combine(directory, name + ".crt"));
        var keyPem = File.ReadAllText(Path.Combine(directory, name + ".key"));
        SecretRedactor.Register(keyPem);
        files[Source(name + ".key")] = keyPem;
    }

    private static void Write(string directory, string file, string content)
    {
        var path = Path.Combine(directory, file);
        using (File.Create(path))
        {
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, content);
    }
}
