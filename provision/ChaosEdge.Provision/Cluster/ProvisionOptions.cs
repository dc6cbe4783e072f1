namespace ChaosEdge.Provision.Cluster;

/// <summary>Where the provisioner finds what it installs and puts what it writes.</summary>
public sealed class ProvisionOptions
{
    /// <summary>The built node runtime (ce-k3s) to install on the nodes; by default the copy shipped next to the harness.</summary>
    public string RuntimeDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "node-runtime");

    /// <summary>The kubeconfig to write (server: the VIP); by default <c>kubeconfig</c> next to the inventory.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>How long the health gate waits for the cluster to become healthy. Default 3 minutes.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromMinutes(3);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What a provisioning run did.</summary>
/// <param name="Changes">Every change made, in order; empty when the cluster was already as described.</param>
/// <param name="KubeconfigPath">The kubeconfig written (server: the control-plane VIP).</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record ProvisionResult(IReadOnlyList<string> Changes, string KubeconfigPath, TimeSpan Elapsed);
