using System.Text;

namespace ChaosEdge.Inventory;

/// <summary>
/// Writes an inventory as YAML that <see cref="InventoryLoader"/> reads back to an equal inventory. Paths under the
/// file's directory are written relative to it, so a lab directory can be moved as a whole.
/// </summary>
public static class InventoryWriter
{
    /// <summary>Renders <paramref name="inventory"/> as inventory YAML.</summary>
    /// <param name="inventory">The inventory to write.</param>
    /// <param name="baseDirectory">The directory the file will live in.</param>
    /// <param name="header">Comment lines put at the top of the file.</param>
    public static string Write(LabInventory inventory, string baseDirectory, IEnumerable<string>? header = null)
    {
        var text = new StringBuilder();
        foreach (var line in header ?? [])
        {
            text.Append("# ").AppendLine(line);
        }

        text.AppendLine("version: 1");
        text.AppendLine("cluster:");
        text.Append("  name: ").AppendLine(inventory.ClusterName);
        if (inventory.Cluster.Runtime == ClusterRuntime.Lab)
        {
            text.AppendLine("  runtime: lab                # the virtual lab's k3s-shaped node runtime, not real K3s");
        }

        if (inventory.Cluster.QuorumRiskAccepted)
        {
            text.AppendLine("  quorumRiskAccepted: true   # this server count weakens etcd's quorum on purpose");
        }

        // Timings and shapes are written where they differ from the defaults, so the file reads back as it was meant.
        var cluster = inventory.Cluster;
        var defaults = ClusterSettings.Default;
        if (cluster.NodeMonitorGracePeriod != defaults.NodeMonitorGracePeriod)
        {
            text.Append("  nodeMonitorGracePeriod: ").AppendLine(Duration(cluster.NodeMonitorGracePeriod));
        }

        if (cluster.NodeLeaseDuration != defaults.NodeLeaseDuration)
        {
            text.Append("  nodeLeaseDuration: ").AppendLine(Duration(cluster.NodeLeaseDuration));
        }

        if (cluster.PodEvictionTimeout != defaults.PodEvictionTimeout)
        {
            text.Append("  podEvictionTimeout: ").AppendLine(Duration(cluster.PodEvictionTimeout));
        }

        if (cluster.Keepalived != defaults.Keepalived)
        {
            text.Append("  keepalived: { advertInterval: ").Append(InventoryLoader.Number(cluster.Keepalived.AdvertInterval))
                .Append(", priority: ").Append(InventoryLoader.Number(cluster.Keepalived.Priority))
                .Append(", preempt: ").Append(cluster.Keepalived.Preempt ? "true" : "false").AppendLine(" }");
        }

        if (cluster.ServiceCidrSetting is { } serviceCidr)
        {
            text.Append("  serviceCidr: ").AppendLine(serviceCidr.ToString());
        }

        if (cluster.Dns != defaults.Dns)
        {
            text.Append("  dns: { replicas: ").Append(InventoryLoader.Number(cluster.Dns.Replicas))
                .Append(", antiAffinity: ").Append(cluster.Dns.AntiAffinity ? "true" : "false")
                .Append(", podDisruptionBudget: ").Append(cluster.Dns.PodDisruptionBudget ? "true" : "false").AppendLine(" }");
        }

        text.AppendLine("network:");
        text.Append("  subnet: ").AppendLine(inventory.Subnet.ToString());
        text.AppendLine("nodes:");
        foreach (var node in inventory.Nodes)
        {
            text.Append("  - name: ").AppendLine(node.Name);
            text.Append("    address: ").AppendLine(node.Address.ToString());
            text.Append("    role: ").AppendLine(node.Role switch { NodeRole.Server => "server", NodeRole.Agent => "agent", NodeRole.Etcd => "etcd", _ => "loadbalancer" });
            text.Append("    interface: ").AppendLine(node.Interface);
            text.AppendLine("    ssh:");
            text.Append("      user: ").AppendLine(node.Ssh.User);
            text.Append("      port: ").AppendLine(InventoryLoader.Number(node.Ssh.Port));
            text.Append("      privateKey: ").AppendLine(Relative(node.Ssh.PrivateKeyPath, baseDirectory));
            if (node.Ssh.HostKeyFingerprint is { } fingerprint)
            {
                text.Append("      hostKey: \"").Append(fingerprint).AppendLine("\"");
            }

            if (node.Ssh.KnownHostsPath is { } knownHosts)
            {
                text.Append("      knownHosts: ").AppendLine(Relative(knownHosts, baseDirectory));
            }

            if (node.Ssh.TrustOnFirstUse)
            {
                text.AppendLine("      trustOnFirstUse: true");
            }

            if (node.Bmc is { } bmc)
            {
                text.AppendLine("    bmc:");
                text.Append("      kind: ").AppendLine(bmc.Kind == BmcKind.Ipmi ? "ipmi" : "redfish");
                text.Append("      address: ").AppendLine(bmc.Address.ToString());
                text.Append("      username: ").AppendLine(bmc.Username);
                text.Append("      password: { ")
                    .Append(bmc.Password.Source == Secrets.SecretSource.Environment ? "env: " : "file: ")
                    .Append(bmc.Password.Source == Secrets.SecretSource.Environment ? bmc.Password.Name : Relative(bmc.Password.Name, baseDirectory))
                    .AppendLine(" }");
                if (bmc.Kind == BmcKind.Ipmi && bmc.CipherSuite != 17)
                {
                    text.Append("      cipherSuite: ").AppendLine(InventoryLoader.Number(bmc.CipherSuite));
                }

                if (bmc.CaCertificatePath is { } ca)
                {
                    text.Append("      caCertificate: ").AppendLine(Relative(ca, baseDirectory));
                }
            }
        }

        text.AppendLine("controlPlane:");
        text.Append("  vip: ").AppendLine(inventory.ControlPlane.Vip.ToString());
        text.Append("  port: ").AppendLine(InventoryLoader.Number(inventory.ControlPlane.Port));
        if (inventory.ServiceVipPool.Count > 0)
        {
            text.AppendLine("services:");
            text.AppendLine("  vipPool:");
            foreach (var address in inventory.ServiceVipPool)
            {
                text.Append("    - ").AppendLine(address.ToString());
            }
        }

        if (inventory.K3s is { } k3s)
        {
            var kv = k3s.KubeVip;
            var lab = inventory.Cluster.Runtime == ClusterRuntime.Lab;
            text.AppendLine(lab ? "k3s:                         # of K3s's settings, the lab takes the control-plane VIP's provider" : "k3s:");
            if (!lab)
            {
                text.Append("  version: ").AppendLine(k3s.Version);
                text.Append("  install: ").AppendLine(k3s.Install == K3sInstallSource.Airgap ? "airgap" : "online");
                if (k3s.Token is { } token)
                {
                    text.Append("  token: { ").Append(token.Source == Secrets.SecretSource.Environment ? "env: " : "file: ")
                        .Append(token.Source == Secrets.SecretSource.Environment ? token.Name : Relative(token.Name, baseDirectory)).AppendLine(" }");
                }

                if (k3s.Longhorn is { } longhorn)
                {
                    text.Append("  longhorn: { replicas: ").Append(InventoryLoader.Number(longhorn.Replicas)).Append(", dataPath: ").Append(longhorn.DataPath).AppendLine(" }");
                }

                if (k3s.SampleImage != K3sSettings.DefaultSampleImage)
                {
                    text.Append("  sampleImage: ").AppendLine(k3s.SampleImage);
                }
            }

            text.Append("  vip: ").AppendLine(k3s.Vip == VipProvider.KubeVip ? "kube-vip" : "keepalived");
            if (k3s.Vip == VipProvider.KubeVip)
            {
                text.Append("  kubeVip: { image: ").Append(kv.Image)
                    .Append(", leaseDuration: ").Append(InventoryLoader.Number((int)kv.LeaseDuration.TotalSeconds))
                    .Append("s, renewDeadline: ").Append(InventoryLoader.Number((int)kv.RenewDeadline.TotalSeconds))
                    .Append("s, retryPeriod: ").Append(InventoryLoader.Number((int)kv.RetryPeriod.TotalSeconds)).AppendLine("s }");
            }
        }

        if (inventory.SlaPath is { } sla)
        {
            text.Append("sla: ").AppendLine(Relative(sla, baseDirectory));
        }

        if (inventory.ArtifactsPath is { } artifacts)
        {
            text.Append("artifacts: ").AppendLine(Relative(artifacts, baseDirectory));
        }

        return text.ToString();
    }

    /// <summary>Whole seconds as <c>20s</c>, anything finer in milliseconds (<c>1500ms</c>), as the loader reads them.</summary>
    private static string Duration(TimeSpan value) => value.TotalSeconds % 1 == 0
        ? InventoryLoader.Number((int)value.TotalSeconds) + "s"
        : InventoryLoader.Number((int)value.TotalMilliseconds) + "ms";

    private static string Relative(string path, string baseDirectory)
    {
        var relative = Path.GetRelativePath(baseDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
