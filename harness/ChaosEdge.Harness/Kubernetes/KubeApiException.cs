using System.Net;
using ChaosEdge.Errors;

namespace ChaosEdge.Kubernetes;

/// <summary>The Kubernetes API answered with an error status; <see cref="Reason"/> is the Status object's reason.</summary>
public sealed class KubeApiException(string method, string path, HttpStatusCode status, string? reason, string message)
    : ChaosEdgeException($"The Kubernetes API answered {(int)status} ({reason ?? status.ToString()}) to {method} '{path}': {message}")
{
    public HttpStatusCode Status { get; } = status;

    public string? Reason { get; } = reason;

    /// <summary>410 Gone: the resourceVersion a watch started from has been compacted away; re-list.</summary>
    public bool IsExpired => Status == HttpStatusCode.Gone;

    public bool IsNotFound => Status == HttpStatusCode.NotFound;

    public bool IsConflict => Status == HttpStatusCode.Conflict;
}
