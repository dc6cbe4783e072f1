namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// What every lab node has installed beyond the host's own files: the <c>systemctl</c> subset the provisioner
/// needs, because lab nodes run no systemd, and the boot script that starts enabled units when the node powers on.
/// Written into the node's <c>/usr/local</c> layer.
/// </summary>
internal static class NodeImage
{
    /// <summary>The boot script, as the node sees it.</summary>
    public const string BootScript = "/usr/local/sbin/ce-boot";

    public static void Install(string usrLocalUpper)
    {
        var sbin = Path.Combine(usrLocalUpper, "sbin");
        Directory.CreateDirectory(sbin);
        foreach (var name in new[] { "systemctl", "ce-boot" })
        {
            var target = Path.Combine(sbin, name);
            using (var resource = typeof(NodeImage).Assembly.GetManifestResourceStream("ChaosEdge.Provision.NodeImage." + name)
                ?? throw new InvalidOperationException($"The node image's '{name}' is missing from the assembly."))
            using (var file = File.Create(target))
            {
                resource.CopyTo(file);
            }

            File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        }
    }
}
