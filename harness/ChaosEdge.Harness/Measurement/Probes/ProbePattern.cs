namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// A probe name, or a prefix ending in <c>*</c> that names every probe it starts (<c>dns-*</c>: the cluster DNS probe of
/// every node, whatever the nodes are called). Used by the SLA file and by a scenario's recovery probes.
/// </summary>
public static class ProbePattern
{
    public static bool IsPattern(string pattern) => pattern.EndsWith('*');

    public static bool Matches(string pattern, string probe)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(probe);
        return IsPattern(pattern) ? probe.StartsWith(pattern[..^1], StringComparison.Ordinal) : probe == pattern;
    }
}
