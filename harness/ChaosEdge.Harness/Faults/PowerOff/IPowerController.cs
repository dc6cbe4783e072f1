namespace ChaosEdge.Faults.PowerOff;

/// <summary>A node's power, as its BMC controls it.</summary>
public interface IPowerController
{
    /// <summary>How the power is controlled, for reports: <c>IPMI BMC 10.20.1.11</c>.</summary>
    string Description { get; }

    /// <summary>Cuts the power at once (IPMI <c>chassis power off</c>, Redfish <c>ForceOff</c>): no clean shutdown.</summary>
    Task PowerOffAsync(CancellationToken cancellationToken = default);

    /// <summary>Turns the power on.</summary>
    Task PowerOnAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether the BMC reports the power on.</summary>
    Task<bool> IsOnAsync(CancellationToken cancellationToken = default);
}
