namespace ChaosEdge.Provision.VirtualLab;

/// <summary>A lab as it is now (from its state file, checked against the live system).</summary>
/// <param name="Name">The lab's name.</param>
/// <param name="Exists">Whether the lab's state file exists.</param>
/// <param name="Healthy">Whether every node's namespace exists and its sshd answers.</param>
/// <param name="Directory">The lab directory.</param>
/// <param name="InventoryPath">The lab's inventory (<c>lab.yaml</c>).</param>
/// <param name="PrivateKeyPath">The key that logs into every node as root.</param>
/// <param name="State">What was built; <c>null</c> when the lab does not exist.</param>
/// <param name="Nodes">Each node's live status.</param>
public sealed record LabStatus(
    string Name,
    bool Exists,
    bool Healthy,
    string Directory,
    string InventoryPath,
    string PrivateKeyPath,
    LabState? State,
    IReadOnlyList<LabNodeStatus> Nodes)
{
    /// <summary>The cluster on the lab: whether it was provisioned, where its kubeconfig is, and whether it is healthy now.</summary>
    public LabClusterStatus Cluster { get; init; } = LabClusterStatus.None;
}

/// <summary>The cluster provisioned on a lab, as it is now.</summary>
/// <param name="Provisioned">Whether the cluster was provisioned (its kubeconfig was written).</param>
/// <param name="Healthy">Whether its API server answers <c>/readyz</c> through the control-plane VIP and every node is Ready.</param>
/// <param name="KubeconfigPath">The kubeconfig provisioning wrote, or <c>null</c> when it was not provisioned.</param>
/// <param name="Problem">Why it is not healthy, when it is provisioned and not healthy.</param>
public sealed record LabClusterStatus(bool Provisioned, bool Healthy, string? KubeconfigPath, string? Problem)
{
    /// <summary>No cluster: the lab was not provisioned.</summary>
    public static LabClusterStatus None { get; } = new(false, false, null, null);
}

/// <summary>A node's live status.</summary>
/// <param name="Name">Node name.</param>
/// <param name="Address">Its address.</param>
/// <param name="NamespaceExists">Whether its network namespace exists.</param>
/// <param name="Processes">How many processes its cgroup holds.</param>
/// <param name="SshAnswers">Whether its sshd accepts TCP connections.</param>
public sealed record LabNodeStatus(string Name, string Address, bool NamespaceExists, int Processes, bool SshAnswers);

/// <summary>The outcome of <c>lab up</c>.</summary>
/// <param name="Status">The lab after the call.</param>
/// <param name="Changed">Whether anything was created; <c>false</c> when the lab was already up.</param>
/// <param name="Elapsed">How long the call took.</param>
public sealed record LabUpResult(LabStatus Status, bool Changed, TimeSpan Elapsed);

/// <summary>The outcome of <c>lab down</c>: what was removed.</summary>
public sealed record LabDownResult(string Name, IReadOnlyList<string> Removed);
