namespace ChaosEdge.Health;

/// <summary>
/// The virtual lab's API-server health, as a file keepalived tracks (<c>track_file</c>, read by inotify when it
/// changes): the lab's node runtime writes <see cref="Live"/> once its API server serves and <see cref="Down"/> the
/// moment it stops, so keepalived follows it without starting a check process every second on every server.
/// </summary>
public static class ApiServerHealthFile
{
    /// <summary>On the node (its own <c>/run</c>).</summary>
    public const string Path = "/run/ce-apiserver-down";

    /// <summary>keepalived's OK value (weight 0: zero is OK).</summary>
    public const string Live = "0";

    /// <summary>keepalived's failure value (weight 0: non-zero is a fault).</summary>
    public const string Down = "1";
}
