using BenchmarkDotNet.Running;
using ChaosEdge.Benchmarks.Measurement;

if (args is ["engine-overhead"])
{
    await EngineOverhead.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(EngineOverhead).Assembly).Run(args);
