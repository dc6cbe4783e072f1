namespace ChaosEdge.Errors;

/// <summary>The SSH host key a node presented is not the one ChaosEdge was told to expect; the connection was refused.</summary>
public sealed class HostKeyMismatchException : ChaosEdgeException
{
    public HostKeyMismatchException(string node, string endpoint, string expected, string? presented)
        : base($"Host key of node '{node}' ({endpoint}) does not match: expected '{expected}', presented '{presented ?? "unknown"}'. Refusing to connect.")
    {
        Node = node;
        Expected = expected;
        Presented = presented;
    }

    public string Node { get; }

    /// <summary>The pinned fingerprint, or a description of the known_hosts file used.</summary>
    public string Expected { get; }

    /// <summary>The fingerprint the node presented (<c>SHA256:…</c>), when it could be captured.</summary>
    public string? Presented { get; }
}
