namespace ChaosEdge.Provision.VirtualLab;

/// <summary>Where labs live on the harness host.</summary>
public sealed class VirtualLabOptions
{
    /// <summary>Environment variable that overrides <see cref="Root"/>.</summary>
    public const string RootVariable = "CHAOSEDGE_LAB_ROOT";

    /// <summary>Directory holding one sub-directory per lab; <c>/var/lib/chaosedge/labs</c> unless <c>CHAOSEDGE_LAB_ROOT</c> says otherwise.</summary>
    public string Root { get; init; } = Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } root ? root : "/var/lib/chaosedge/labs";

    /// <summary>How long to wait for every node's sshd to answer; default 10 s.</summary>
    public TimeSpan SshdStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
