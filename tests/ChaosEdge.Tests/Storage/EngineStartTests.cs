using System.Net;
using System.Net.Sockets;
using ChaosEdge.NodeRuntime.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChaosEdge.Tests.Storage;

/// <summary>The lab's Longhorn-style engine when its replicas start after it, as on a fresh lab on a busy machine.</summary>
public sealed class EngineStartTests
{
    [Test]
    public async Task A_new_volume_s_engine_waits_for_replicas_that_start_after_it_and_comes_up_healthy_not_faulted()
    {
        var directory = Directory.CreateTempSubdirectory("chaosedge-engine-").FullName;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            var replicas = new[] { ("r1", "n1", FreeEndpoint()), ("r2", "n2", FreeEndpoint()) };
            var engine = new Engine(
                new EngineOptions("v", 4 << 20, "n1", replicas, TimeSpan.FromSeconds(8), FreeEndpoint(), Path.Combine(directory, "engine")),
                NullLogger.Instance, TimeProvider.System);
            var running = engine.RunAsync(stop.Token);

            // The replicas answer only 3 s after the engine started (its first connects, 2 s each, have failed by then).
            await Task.Delay(TimeSpan.FromSeconds(3));
            var servers = replicas.Select(r => new ReplicaServer(Path.Combine(directory, r.Item1), r.Item3, NullLogger.Instance).RunAsync(stop.Token)).ToList();

            var start = TimeProvider.System.GetTimestamp();
            while (engine.Robustness != "healthy" && TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(20) && !running.IsCompleted)
            {
                await Task.Delay(100);
            }

            Assert.That(engine.Robustness, Is.EqualTo("healthy"), string.Join(", ", engine.Links.Select(l => $"{l.Name}={l.Mode} {l.FailureReason}")));
            await stop.CancelAsync();
            await Task.WhenAll(servers.Append(running)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static IPEndPoint FreeEndpoint()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return (IPEndPoint)probe.LocalEndpoint;
    }
}
