namespace ChaosEdge.Faults;

/// <summary>The five faults ChaosEdge injects.</summary>
public enum FaultKind
{
    /// <summary>The node's power is cut through its BMC (IPMI or Redfish) and restored the same way.</summary>
    PowerOff,

    /// <summary>The node's Kubernetes service is stopped (<c>k3s</c>, <c>k3s-agent</c> or <c>kubelet</c>); its pods keep running.</summary>
    KubeletStop,

    /// <summary>The node's primary NIC goes down; a timer on the node brings it back.</summary>
    NicDown,

    /// <summary>The node's etcd member is removed and its data wiped; it rejoins as a fresh member.</summary>
    EtcdMemberLoss,

    /// <summary>nftables rules drop traffic between two groups of nodes; a timer on each node flushes them.</summary>
    Partition,
}
