namespace ChaosEdge.Storage;

/// <summary>The read-back check of a volume probe.</summary>
/// <param name="SlotsChecked">Blocks that held an acknowledged write and were read back.</param>
/// <param name="WritesAcknowledged">Writes acknowledged in the run.</param>
/// <param name="Lost">Each acknowledged write that is not on the volume, described; empty when none was lost.</param>
public sealed record VolumeVerification(int SlotsChecked, long WritesAcknowledged, IReadOnlyList<string> Lost);
