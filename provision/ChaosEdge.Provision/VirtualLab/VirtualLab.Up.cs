using System.Globalization;
using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>
    /// Builds the lab with <paramref name="nodeCount"/> nodes, or does nothing when it is already up and healthy with
    /// that many. Remnants of a crashed earlier attempt are removed first. Needs root.
    /// </summary>
    /// <param name="nodeCount">Number of nodes, 1–16; the first three are servers, the rest agents.</param>
    /// <param name="progress">Receives one line per step.</param>
    /// <param name="cancellationToken">Stops the build; call <see cref="DownAsync"/> to clean up after.</param>
    public Task<LabUpResult> UpAsync(int nodeCount = 3, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        UpAsync(LabShape.Default(nodeCount), progress, cancellationToken);

    /// <summary>
    /// Builds the lab in <paramref name="shape"/> (its node names and interface name), or does nothing when it is
    /// already up and healthy in that shape. Remnants of a crashed earlier attempt are removed first. Needs root.
    /// </summary>
    /// <param name="shape">The nodes' names (the first three are servers, the rest agents) and interface.</param>
    /// <param name="progress">Receives one line per step.</param>
    /// <param name="cancellationToken">Stops the build; call <see cref="DownAsync"/> to clean up after.</param>
    public async Task<LabUpResult> UpAsync(LabShape shape, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        var nodeCount = shape.NodeCount;
        HostPrerequisites.RequireRoot();
        var started = options.TimeProvider.GetTimestamp();
        await HostPrerequisites.EnsureAsync(progress, cancellationToken).ConfigureAwait(false);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var current = await StatusAsync(cancellationToken).ConfigureAwait(false);
            if (current.Exists && current.Healthy)
            {
                var existing = new LabShape([.. current.State!.Nodes.Select(n => n.Name)], current.State.Nodes[0].Interface);
                if (!existing.SameAs(shape))
                {
                    throw new ChaosEdgeException(
                        $"Lab '{Names.Lab}' is up with {existing}, not {shape}. Run 'chaosedge lab down --name {Names.Lab}' first to rebuild it.");
                }

                // An inventory the lab cannot read back (its artifacts directory removed, say) is written again.
                LabInventory? written = null;
                try
                {
                    written = File.Exists(InventoryPath) ? InventoryLoader.Load(InventoryPath) : null;
                }
                catch (ChaosEdgeException)
                {
                }

                var inventoryShape = written?.K3s;
                if ((inventoryShape?.Vip ?? VipProvider.Keepalived) != shape.ControlPlaneVip || (shape.ControlPlaneVip == VipProvider.KubeVip && inventoryShape?.KubeVip != shape.KubeVip)
                    || written is null || (written.Cluster.Runtime == ClusterRuntime.K3s) != shape.K3sRuntime || written.LoadBalancers.Count() != shape.LoadBalancers || written.EtcdNodes.Count() != shape.EtcdNodes)
                {
                    await WriteInventoryAsync(current.State, new LabAddressPlan(current.State.Slot), shape, progress, cancellationToken).ConfigureAwait(false);
                    progress?.Report($"Lab '{Names.Lab}' is already up with {nodeCount} nodes; its inventory now puts the control-plane VIP on {VipName(shape)}{(shape.K3sRuntime ? " on the lab's K3s" : string.Empty)} (provision again to apply it).");
                    return new LabUpResult(await StatusAsync(cancellationToken).ConfigureAwait(false), Changed: true, options.TimeProvider.GetElapsedTime(started));
                }

                if (shape.K3sRuntime && await EnsureK3sArtifactsAsync(written, progress, cancellationToken).ConfigureAwait(false))
                {
                    return new LabUpResult(await StatusAsync(cancellationToken).ConfigureAwait(false), Changed: true, options.TimeProvider.GetElapsedTime(started));
                }

                progress?.Report($"Lab '{Names.Lab}' is already up with {nodeCount} nodes; nothing changed.");
                return new LabUpResult(current, Changed: false, options.TimeProvider.GetElapsedTime(started));
            }

            var slot = current.State?.Slot ?? AllocateSlot();
            if (current.Exists || LiveRemnantsExist())
            {
                progress?.Report($"Removing what an earlier, unfinished 'lab up' of '{Names.Lab}' left behind");
                await RemoveRuntimeAsync(keepFiles: true, removed: [], cancellationToken).ConfigureAwait(false);
            }

            var plan = new LabAddressPlan(slot);
            var state = await BuildAsync(plan, shape, progress, cancellationToken).ConfigureAwait(false);
            state.Write(StatePath);
            await StartBmcsAsync(plan, state.Nodes, progress, cancellationToken).ConfigureAwait(false);
            await WriteInventoryAsync(state, plan, shape, progress, cancellationToken).ConfigureAwait(false);
            var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
            var elapsed = options.TimeProvider.GetElapsedTime(started);
            progress?.Report($"Lab '{Names.Lab}' is up: {nodeCount} nodes on {plan.Subnet} in {elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s. Inventory: {InventoryPath}");
            return new LabUpResult(status, Changed: true, elapsed);
        }
    }

    private async Task<LabState> BuildAsync(LabAddressPlan plan, LabShape shape, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "keys"));
        await EnsureKeyAsync(PrivateKeyPath, $"chaosedge-lab-{Names.Lab}", cancellationToken).ConfigureAwait(false);
        File.Copy(PrivateKeyPath + ".pub", Path.Combine(Directory, "keys", "authorized_keys"), overwrite: true);

        progress?.Report($"Creating bridge '{Names.Bridge}' with the harness at {plan.Harness}/24 and an unreachable route for {LabAddressPlan.LabRange}");
        await HostCommands.IpAsync(cancellationToken, "route", "replace", "unreachable", LabAddressPlan.LabRange.ToString()).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "add", Names.Bridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "0").ConfigureAwait(false);

        // IPv6 off on every lab interface: the lab's traffic is 198.18.0.0/15 and nothing else.
        await HostCommands.RunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{Names.Bridge}.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "addr", "add", $"{plan.Harness}/24", "dev", Names.Bridge).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "set", Names.Bridge, "up").ConfigureAwait(false);

        progress?.Report($"Lab CPU weight (so the harness is never queued behind the nodes it measures): {NodeCgroup.LowerLabCpuWeight(Names.Lab)}");
        var nodes = new List<LabNodeState>();
        for (var i = 1; i <= shape.NodeCount; i++)
        {
            var name = shape.NodeNames[i - 1];
            progress?.Report($"Creating node '{name}' at {plan.Node(i)} on {shape.Interface} (namespace '{Names.Namespace(name)}')");
            nodes.Add(await CreateNodeAsync(plan, i, name, shape.Interface, cancellationToken).ConfigureAwait(false));
        }

        foreach (var node in nodes)
        {
            await WaitForSshdAsync(node, cancellationToken).ConfigureAwait(false);
        }

        return new LabState(
            Names.Lab,
            plan.Slot,
            plan.Subnet.ToString(),
            plan.Harness.ToString(),
            Names.Bridge,
            nodes,
            plan.ControlPlaneVip.ToString(),
            [.. plan.ServiceVipPool.Select(a => a.ToString())],
            plan.ManagementSubnet.ToString());
    }

    private async Task<LabNodeState> CreateNodeAsync(LabAddressPlan plan, int index, string name, string nodeInterface, CancellationToken cancellationToken)
    {
        var ns = Names.Namespace(name);
        var link = Names.HostLink(index);
        var address = plan.Node(index);
        await HostCommands.IpAsync(cancellationToken, "netns", "add", ns).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "add", link, "type", "veth", "peer", "name", nodeInterface, "netns", ns).ConfigureAwait(false);
        await HostCommands.RunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{link}.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "link", "set", link, "master", Names.Bridge, "up").ConfigureAwait(false);
        await HostCommands.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "addr", "add", $"{address}/24", "dev", nodeInterface).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "link", "set", nodeInterface, "up").ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "link", "set", "lo", "up").ConfigureAwait(false);

        // A node forwards (kube-proxy sends service traffic on to endpoints on other nodes), and reaches the service
        // range over its lab interface, where a real node's default route would take it.
        await HostCommands.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "route", "add", LabAddressPlan.ServiceRange.ToString(), "dev", nodeInterface).ConfigureAwait(false);

        var directory = NodeDirectory(name);
        var data = Path.Combine(directory, "data");
        System.IO.Directory.CreateDirectory(data);
        var fingerprint = await StartSshdAsync(name, ns, address, nodeInterface, cancellationToken).ConfigureAwait(false);
        return new LabNodeState(name, index, address.ToString(), ns, link, nodeInterface, fingerprint, data, plan.Bmc(index).ToString());
    }

    private int AllocateSlot()
    {
        var used = new HashSet<int>();
        if (System.IO.Directory.Exists(options.Root))
        {
            foreach (var dir in System.IO.Directory.GetDirectories(options.Root))
            {
                if (LabState.Read(Path.Combine(dir, "state.json")) is { } other && other.Name != Names.Lab)
                {
                    used.Add(other.Slot);
                }
            }
        }

        for (var slot = 0; slot < LabAddressPlan.MaxSlots; slot++)
        {
            if (!used.Contains(slot))
            {
                return slot;
            }
        }

        throw new ChaosEdgeException($"No free address slot for lab '{Names.Lab}': {LabAddressPlan.MaxSlots} labs exist on this host.");
    }

    private static string VipName(LabShape shape) => shape.ControlPlaneVip == VipProvider.KubeVip
        ? $"kube-vip ({shape.KubeVip.LeaseDuration.TotalSeconds:0}s/{shape.KubeVip.RenewDeadline.TotalSeconds:0}s/{shape.KubeVip.RetryPeriod.TotalSeconds:0}s)"
        : "keepalived";

    /// <summary>The artifacts directory of a lab whose nodes run the lab's K3s (<see cref="LabShape.K3sRuntime"/>).</summary>
    public string ArtifactsPath => Path.Combine(Directory, "artifacts");

    /// <summary>Writes the lab K3s's artifacts where the node runtime changed since they were written; returns whether it did.</summary>
    private async Task<bool> EnsureK3sArtifactsAsync(LabInventory inventory, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var written = await LabK3s.LabK3sArtifacts.EnsureAsync(ArtifactsPath, inventory, new Cluster.ProvisionOptions().RuntimeDirectory, cancellationToken).ConfigureAwait(false);
        if (written)
        {
            progress?.Report($"Wrote the lab K3s's artifacts (k3s {K3sSettings.LabRelease}, install.sh, images, manifests, SHA256SUMS) to '{ArtifactsPath}'.");
        }

        return written;
    }

    private async Task WriteInventoryAsync(LabState state, LabAddressPlan plan, LabShape shape, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var nodes = state.Nodes.Select(n => new NodeSpec(
            n.Name,
            IPAddress.Parse(n.Address),
            shape.RoleOf(n.Index),
            n.Interface,
            new SshSpec("root", 22, PrivateKeyPath, n.HostKeyFingerprint, null, TrustOnFirstUse: false),
            // Odd nodes' BMCs are addressed over IPMI, even nodes' over Redfish, so both controllers are used.
            n.Index % 2 == 1
                ? new BmcSpec(BmcKind.Ipmi, IPAddress.Parse(n.ReservedBmcAddress), BmcUser, new Secrets.SecretReference(Secrets.SecretSource.File, BmcPasswordPath)) { CipherSuite = 3 }
                : new BmcSpec(BmcKind.Redfish, IPAddress.Parse(n.ReservedBmcAddress), BmcUser, new Secrets.SecretReference(Secrets.SecretSource.File, BmcPasswordPath)) { CaCertificatePath = BmcCaPath })).ToList();
        // A 2-server lab exists to be split in two (the split-brain suite): its quorum of 2 is the point, not an oversight.
        // The lab's K3s keeps services in the lab's own address block (K3s's default 10.43.0.0/16 is outside it).
        var inventory = new LabInventory(InventoryPath, $"chaosedge-{Names.Lab}", plan.Subnet, nodes, new ControlPlaneSpec(plan.ControlPlaneVip, shape.ControlPlanePort), plan.ServiceVipPool, null, shape.K3sRuntime ? ArtifactsPath : null)
        {
            Cluster = ClusterSettings.Default with
            {
                Runtime = shape.K3sRuntime ? ClusterRuntime.K3s : ClusterRuntime.Lab, QuorumRiskAccepted = nodes.Count(n => n.Role == NodeRole.Server) == 2,
                ServiceCidrSetting = shape.K3sRuntime ? ClusterSettings.LabServiceCidr : null,
            },
            K3s = shape.K3s,
        };
        File.WriteAllText(InventoryPath, InventoryWriter.Write(inventory, Directory, new List<string> { $"Inventory of the ChaosEdge virtual lab '{Names.Lab}', written by 'chaosedge lab up'.", "Host keys are pinned to the keys the lab generated for each node." }
            .Concat(shape.K3sRuntime ? ["Its nodes run the lab's K3s, installed by the K3s plan from the artifacts directory ('chaosedge provision' runs the plan it runs on hardware)."] : Array.Empty<string>())));

        // The lab's inventory must be one the harness accepts; check it as any user file is checked.
        if (shape.K3sRuntime)
        {
            System.IO.Directory.CreateDirectory(ArtifactsPath);
        }

        var loaded = InventoryLoader.Load(InventoryPath);
        if (shape.K3sRuntime)
        {
            await EnsureK3sArtifactsAsync(loaded, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureKeyAsync(string path, string comment, CancellationToken cancellationToken)
    {
        if (File.Exists(path) && File.Exists(path + ".pub"))
        {
            return;
        }

        File.Delete(path);
        File.Delete(path + ".pub");
        await HostCommands.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-C", comment, "-f", path], cancellationToken).ConfigureAwait(false);
    }
}
