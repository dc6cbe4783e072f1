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

if (args is ["vip-shapes", ..])
{
    var trials = args.SkipWhile(a => a != "--trials").Skip(1).FirstOrDefault() is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : 1;
    var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? "vip-shapes";
    await VipShapeComparison.RunAsync(trials, output);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(EngineOverhead).Assembly).Run(args);
