namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// A probe that writes numbered, checksummed blocks to a volume and can read them back: over NBD from the harness (the
/// virtual lab's volume, <see cref="VolumeWriteProbe"/>) or through the node-side agent on the node where a real
/// Longhorn volume is attached (<see cref="VolumeAgentProbe"/>).
/// </summary>
public interface IVolumeProbe : IStartableProbe
{
    /// <summary>Writes acknowledged so far.</summary>
    long Acknowledged { get; }

    /// <summary>Reads every slot that holds an acknowledged write back; run after the volume has recovered.</summary>
    Task<Storage.VolumeVerification> VerifyAsync(CancellationToken cancellationToken = default);
}
