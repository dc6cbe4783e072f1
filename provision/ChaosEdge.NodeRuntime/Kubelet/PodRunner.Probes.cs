using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Kubelet;

internal sealed partial class PodRunner
{
    private static readonly HttpClient ProbeHttp = new() { Timeout = TimeSpan.FromSeconds(1) };

    /// <summary>Runs the readiness probe when due (initialDelaySeconds, periodSeconds); a pod without one is ready once running.</summary>
    private async Task ProbeAsync(JsonObject pod, PodState state, CancellationToken cancellationToken)
    {
        var probe = (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault()?["readinessProbe"] as JsonObject;
        bool ready;
        if (!Alive(state.Pid))
        {
            ready = false;
        }
        else if (probe is null)
        {
            ready = true;
        }
        else
        {
            if (time.GetTimestamp() < state.NextProbe)
            {
                return;
            }

            var period = (int?)probe["periodSeconds"] ?? 10;
            var delay = state.NextProbe == 0 ? (int?)probe["initialDelaySeconds"] ?? 0 : 0;
            if (delay > 0)
            {
                state.NextProbe = time.GetTimestamp() + (long)(delay * time.TimestampFrequency);
                return;
            }

            state.NextProbe = time.GetTimestamp() + (long)(period * time.TimestampFrequency);
            ready = await RunProbeAsync(probe, state.Pid, TimeSpan.FromSeconds((int?)probe["timeoutSeconds"] ?? 1), cancellationToken).ConfigureAwait(false);
        }

        if (ready != state.Ready)
        {
            state.Ready = ready;
            state.StatusDirty = true;
            logger.LogInformation("Pod '{Namespace}/{Pod}' is {Readiness}.", pod.Namespace(), pod.Name(), ready ? "ready" : "not ready");
        }
    }

    private async Task<bool> RunProbeAsync(JsonObject probe, int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            if (probe["tcpSocket"] is JsonObject tcp)
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(options.NodeIp, (int)tcp["port"]!, cts.Token).ConfigureAwait(false);
                return true;
            }

            if (probe["httpGet"] is JsonObject get)
            {
                var uri = new Uri($"http://{options.NodeIp}:{(int)get["port"]!}{(string?)get["path"] ?? "/"}");
                using var response = await ProbeHttp.GetAsync(uri, cts.Token).ConfigureAwait(false);
                return (int)response.StatusCode is >= 200 and < 400;
            }

            if (probe["exec"]?["command"] is JsonArray command)
            {
                var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var arg in new[] { "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--" }.Concat(command.Select(c => (string)c!)))
                {
                    start.ArgumentList.Add(arg);
                }

                using var process = Process.Start(start)!;
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                return process.ExitCode == 0;
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task ReportAsync(JsonObject pod, PodState state, CancellationToken cancellationToken)
    {
        var running = Alive(state.Pid);
        var ready = running && state.Ready == true;
        var now = Api.ObjectStore.Now(time);
        var container = (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        var status = new JsonObject
        {
            ["phase"] = running || state.Restarts > 0 ? "Running" : "Pending",
            ["hostIP"] = options.NodeIp.ToString(), ["podIP"] = options.NodeIp.ToString(),
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = options.NodeIp.ToString() }),
            ["startTime"] = state.StartedAt,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "PodScheduled", ["status"] = "True" },
                new JsonObject { ["type"] = "Initialized", ["status"] = "True" },
                new JsonObject { ["type"] = "ContainersReady", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now },
                new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = (string?)container?["name"] ?? "main", ["ready"] = ready, ["started"] = running, ["restartCount"] = state.Restarts,
                ["image"] = (string?)container?["image"] ?? string.Empty, ["imageID"] = string.Empty, ["containerID"] = $"process://{state.Pid}",
                ["state"] = running ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = state.StartedAt } } : new JsonObject { ["waiting"] = new JsonObject { ["reason"] = state.StartAfter != 0 ? "CrashLoopBackOff" : "ContainerCreating" } },
            }),
        };
        await client.PatchAsync(ResourcePath.Pods.For(pod.Namespace(), pod.Name(), "status"), new JsonObject { ["status"] = status }, cancellationToken: cancellationToken).ConfigureAwait(false);
        state.StatusDirty = false;
    }
}
