using ChaosEdge.Errors;

namespace ChaosEdge.Provision.Cluster;

/// <summary>A provisioning step failed: names the step, the node, and the evidence (command output, last API error).</summary>
public sealed class ProvisionStepException(string step, string? node, string evidence, Exception? inner = null)
    : ChaosEdgeException($"Provisioning step '{step}' failed{(node is null ? string.Empty : $" on node '{node}'")}: {evidence}", inner)
{
    public string Step { get; } = step;

    public string? Node { get; } = node;
}
