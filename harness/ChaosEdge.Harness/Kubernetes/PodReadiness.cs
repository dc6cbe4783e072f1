using k8s.Models;

namespace ChaosEdge.Kubernetes;

/// <summary>What a pod's status says of it, read one way wherever the harness asks.</summary>
public static class PodReadiness
{
    /// <summary>Its Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) => pod?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>It is bound to a node and not being deleted.</summary>
    public static bool IsBoundAndLive(V1Pod pod) => pod?.Metadata?.DeletionTimestamp is null && pod?.Spec?.NodeName is not null;
}
