using BenchmarkDotNet.Attributes;
using ChaosEdge.Inventory;

namespace ChaosEdge.Benchmarks.Inventory;

/// <summary>Loading and validating an inventory: done once per command, it must stay far below a second even for big labs.</summary>
[MemoryDiagnoser]
public class InventoryLoadBenchmarks
{
    private string directory = null!;
    private string threeNodes = null!;
    private string sixteenNodes = null!;

    [GlobalSetup]
    public void Setup()
    {
        directory = Directory.CreateTempSubdirectory("ce-bench-").FullName;
        File.WriteAllText(Path.Combine(directory, "id_ed25519"), "key");
        threeNodes = Inventory(3);
        sixteenNodes = Inventory(16);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    [Benchmark(Baseline = true)]
    public LabInventory ThreeNodes() => InventoryLoader.Parse(threeNodes, "lab.yaml", directory);

    [Benchmark]
    public LabInventory SixteenNodes() => InventoryLoader.Parse(sixteenNodes, "lab.yaml", directory);

    private static string Inventory(int nodes)
    {
        var text = new System.Text.StringBuilder("cluster:\n  name: bench\n  runtime: lab\nnetwork:\n  subnet: 198.18.0.0/24\nnodes:\n");
        for (var i = 1; i <= nodes; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - name: edge-{i}\n    address: 198.18.0.{10 + i}\n    interface: eth0\n    ssh:\n      privateKey: id_ed25519\n      hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n");
        }

        text.Append("controlPlane:\n  vip: 198.18.0.100\nservices:\n  vipPool:\n    - 198.18.0.200-198.18.0.209\n");
        return text.ToString();
    }
}
