using System.Net;
using System.Net.Sockets;
using ChaosEdge.Errors;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// The built-in virtual lab: N nodes, each a network namespace with its own sshd, joined by a Linux bridge — a real
/// L2 segment — to which the harness is attached too. Everything is named after the lab, so two labs can exist side
/// by side and <see cref="DownAsync"/> can remove a lab whose <see cref="UpAsync(LabShape, IProgress{string}?, CancellationToken)"/> crashed halfway.
/// </summary>
public sealed partial class VirtualLab
{
    private readonly VirtualLabOptions options;

    public VirtualLab(string name, VirtualLabOptions? options = null)
    {
        Names = new LabNames(name);
        this.options = options ?? new VirtualLabOptions();
        Directory = Path.Combine(this.options.Root, name);
    }

    /// <summary>Names of everything this lab creates.</summary>
    public LabNames Names { get; }

    /// <summary>The lab directory: inventory, keys, node directories, state.</summary>
    public string Directory { get; }

    /// <summary>The lab's inventory, written by <see cref="UpAsync(LabShape, IProgress{string}?, CancellationToken)"/>.</summary>
    public string InventoryPath => Path.Combine(Directory, "lab.yaml");

    /// <summary>The private key that logs into every node as root.</summary>
    public string PrivateKeyPath => Path.Combine(Directory, "keys", "id_ed25519");

    private string StatePath => Path.Combine(Directory, "state.json");

    private string NodeDirectory(string node) => Path.Combine(Directory, "nodes", node);

    /// <summary>The lab as it is now.</summary>
    public async Task<LabStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var state = LabState.Read(StatePath);
        var nodes = new List<LabNodeStatus>();
        foreach (var node in state?.Nodes ?? [])
        {
            var ns = File.Exists(Path.Combine("/run/netns", node.Namespace));
            var processes = ns ? SafeProcessCount(node.Name) : 0;
            var ssh = ns && await AnswersAsync(IPAddress.Parse(node.Address), 22, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            nodes.Add(new LabNodeStatus(node.Name, node.Address, ns, processes, ssh));
        }

        var healthy = state is not null && nodes.Count > 0 && nodes.All(n => n.NamespaceExists && n.SshAnswers);
        var cluster = state is null ? LabClusterStatus.None : await ClusterStatusAsync(nodes.Count, cancellationToken).ConfigureAwait(false);
        return new LabStatus(Names.Lab, state is not null, healthy, Directory, InventoryPath, PrivateKeyPath, state, nodes) { Cluster = cluster };
    }

    /// <summary>The kubeconfig provisioning writes beside the lab's inventory.</summary>
    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    /// <summary>
    /// Whether the lab's cluster is provisioned (its kubeconfig exists) and healthy: <c>/readyz</c> through the VIP
    /// answers 200 and all <paramref name="expectedNodes"/> nodes are Ready, each asked within 2 s.
    /// </summary>
    private async Task<LabClusterStatus> ClusterStatusAsync(int expectedNodes, CancellationToken cancellationToken)
    {
        if (!File.Exists(KubeconfigPath))
        {
            return LabClusterStatus.None;
        }

        try
        {
            using var client = new Kubernetes.KubeClient(Kubernetes.KubeConfig.Load(KubeconfigPath), TimeSpan.FromSeconds(2));
            var (status, body) = await client.GetRawAsync("/readyz", cancellationToken).ConfigureAwait(false);
            if (status != HttpStatusCode.OK)
            {
                return new LabClusterStatus(true, false, KubeconfigPath, $"/readyz answered {(int)status}: {body.Trim()}");
            }

            var nodes = await client.CallAsync("LIST nodes", (c, t) => k8s.CoreV1OperationsExtensions.ListNodeAsync(c.CoreV1, cancellationToken: t), cancellationToken).ConfigureAwait(false);
            var ready = nodes.Items.Count(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
            return ready == expectedNodes && nodes.Items.Count == expectedNodes
                ? new LabClusterStatus(true, true, KubeconfigPath, null)
                : new LabClusterStatus(true, false, KubeconfigPath, $"{ready} of {expectedNodes} nodes are Ready");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Kubernetes.KubeApiException or ChaosEdgeException && !cancellationToken.IsCancellationRequested)
        {
            return new LabClusterStatus(true, false, KubeconfigPath, e.Message);
        }
    }

    private int SafeProcessCount(string node)
    {
        try
        {
            return NodeCgroup.Of(Names.Lab, node).Processes().Count;
        }
        catch (PrerequisiteMissingException)
        {
            return 0;
        }
    }

    /// <summary>Whether a TCP connection to <paramref name="address"/>:<paramref name="port"/> is accepted within <paramref name="timeout"/>.</summary>
    internal static async Task<bool> AnswersAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(address, port, limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Serialises lab creation and removal on this host (slot allocation, the shared unreachable route).</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(options.Root);
        var path = Path.Combine(options.Root, ".lock");
        for (var i = 0; ; i++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (i < 1200)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
