using BenchmarkDotNet.Running;
using ChaosEdge.Benchmarks.Measurement;

if (args is ["engine-overhead"])
{
    await EngineOverhead.RunAsync();
    return;
}

if (args is ["probe-cost", "--inventory", var inventory, ..])
{
    var seconds = args is [_, _, _, "--seconds", var text] ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 30;
    await ProbeSetCost.RunAsync(inventory, seconds);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(EngineOverhead).Assembly).Run(args);
