using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>What <c>lab up</c> built, persisted as <c>state.json</c> in the lab directory.</summary>
public sealed record LabState(
    string Name,
    int Slot,
    string Subnet,
    string HarnessAddress,
    string Bridge,
    IReadOnlyList<LabNodeState> Nodes,
    string ControlPlaneVip,
    IReadOnlyList<string> ServiceVipPool,
    string ManagementSubnet)
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static LabState? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<LabState>(File.ReadAllText(path), Json) : null;

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>One node of a lab as built.</summary>
public sealed record LabNodeState(string Name, int Index, string Address, string Namespace, string HostLink, string Interface, string HostKeyFingerprint, string DataDirectory, string ReservedBmcAddress);
