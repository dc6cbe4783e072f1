using System.Runtime.InteropServices;
using ChaosEdge.NodeRuntime;

// ce-k3s: the k3s-shaped node runtime of the ChaosEdge virtual lab ('server' or 'agent'), and the lab's sample
// edge workload ('edge-app'). Started by the node's k3s unit, as the real K3s binary is.
using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff ";
}).SetMinimumLevel(LogLevel.Information));
using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

try
{
    if (args.Length > 0 && args[0] is "--version" or "-v" or "version")
    {
        // As K3s prints it; the parenthesis names the build (K3s: its commit), here the lab's model of the release.
        Console.WriteLine($"k3s version {ChaosEdge.Inventory.K3sSettings.LabRelease} (chaosedge-lab)");
        Console.WriteLine($"node runtime ce-k3s, .NET {Environment.Version}");
        return 0;
    }

    if (args.Length > 0 && args[0] == "kubectl")
    {
        return await K3sKubectl.RunAsync(args[1..], stop.Token);
    }

    if (args.Length > 0 && args[0] == "coredns")
    {
        return await ChaosEdge.NodeRuntime.CoreDns.CoreDnsCommand.RunAsync(args[1..], loggers, stop.Token);
    }

    if (args.Length > 0 && args[0] == "edge-app")
    {
        await EdgeApp.RunAsync(args[1..], stop.Token);
        return 0;
    }

    if (args.Length > 0 && args[0] == "longhorn-replica")
    {
        await ChaosEdge.NodeRuntime.Storage.StorageCommands.RunReplicaAsync(args[1..], loggers, stop.Token);
        return 0;
    }

    if (args.Length > 0 && args[0] == "longhorn-engine")
    {
        await ChaosEdge.NodeRuntime.Storage.StorageCommands.RunEngineAsync(args[1..], loggers, stop.Token);
        return 0;
    }

    if (args.Length > 0 && args[0] == "kube-vip")
    {
        return await ChaosEdge.NodeRuntime.KubeVip.KubeVipCommand.RunAsync(args[1..], loggers, stop.Token);
    }

    if (args.Length > 0 && args[0] == "metallb-speaker")
    {
        return await ChaosEdge.NodeRuntime.MetalLb.MetalLbCommands.RunSpeakerAsync(args[1..], loggers, stop.Token);
    }

    if (args.Length > 0 && args[0] == "metallb-controller")
    {
        return await ChaosEdge.NodeRuntime.MetalLb.MetalLbCommands.RunControllerAsync(args[1..], loggers, stop.Token);
    }

    var options = RuntimeOptions.Parse(args);
    await new NodeRuntimeHost(options, loggers, TimeProvider.System).RunAsync(stop.Token);
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("ce-k3s: " + e.Message);
    return 2;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
