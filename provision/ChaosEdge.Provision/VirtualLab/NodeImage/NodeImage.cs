namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// What every lab node has installed beyond the host's own files — today the <c>systemctl</c> subset the provisioner
/// needs, because lab nodes run no systemd. Written into the node's <c>/usr/local</c> layer.
/// </summary>
internal static class NodeImage
{
    public static void Install(string usrLocalUpper)
    {
        var sbin = Path.Combine(usrLocalUpper, "sbin");
        Directory.CreateDirectory(sbin);
        var target = Path.Combine(sbin, "systemctl");
        using (var resource = typeof(NodeImage).Assembly.GetManifestResourceStream("ChaosEdge.Provision.NodeImage.systemctl")
            ?? throw new InvalidOperationException("The node image's 'systemctl' is missing from the assembly."))
        using (var file = File.Create(target))
        {
            resource.CopyTo(file);
        }

        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
    }
}
