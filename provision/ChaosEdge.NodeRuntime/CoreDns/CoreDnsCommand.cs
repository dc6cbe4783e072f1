using System.Diagnostics;
using System.Net;
using System.Text;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.CoreDns;

/// <summary>
/// <c>k3s coredns -conf FILE</c>: the lab's model of CoreDNS's image (what K3s's packaged and ChaosEdge's generated
/// CoreDNS Deployments run). It reads the Corefile the pod mounts, serves the <c>kubernetes</c> plugin's zones with a
/// real DNS server (dnsmasq, on the pod's address, port 53) from the records the lab's controller publishes in
/// ConfigMap <c>kube-system/coredns-hosts</c> (watched), and answers <c>health</c>'s <c>/health</c> and <c>ready</c>'s
/// <c>/ready</c> as CoreDNS does: healthy while it serves, ready once the records have been loaded. It keeps serving the
/// last records when the API is unreachable, as CoreDNS's informer cache does. Names outside the zones are refused:
/// the lab has no upstream to forward to.
/// </summary>
internal static class CoreDnsCommand
{
    public static async Task<int> RunAsync(string[] args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("coredns");
        var conf = "Corefile";
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-conf" or "--conf" && i + 1 < args.Length)
            {
                conf = args[++i];
            }
        }

        var corefile = Corefile.Parse(File.Exists(conf) ? await File.ReadAllTextAsync(conf, cancellationToken).ConfigureAwait(false) : throw new ArgumentException($"coredns: the Corefile '{conf}' does not exist."), conf);
        var podIp = IPAddress.TryParse(Environment.GetEnvironmentVariable("POD_IP"), out var ip) ? ip : throw new ArgumentException("coredns: POD_IP is not set (the lab's kubelet sets it).");
        var hostsDirectory = Path.Combine(Path.GetTempPath(), $"coredns-{Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        Directory.CreateDirectory(hostsDirectory);
        using var client = new KubeClient(InCluster.Config("coredns"), TimeSpan.FromSeconds(10));
        var maps = new KubeInformer(client, ResourcePath.ConfigMaps.For("kube-system"), logger);
        var loaded = false;
        string? written = null;
        maps.Changed += _ =>
        {
            if ((string?)maps.Get("kube-system", "coredns-hosts")?["data"]?["hosts"] is { } hosts && hosts != written)
            {
                // Atomic replace: dnsmasq re-reads a changed file in its hostsdir (inotify).
                var path = Path.Combine(hostsDirectory, "hosts");
                File.WriteAllText(path + ".tmp", hosts);
                File.Move(path + ".tmp", path, overwrite: true);
                written = hosts;
                loaded = true;
            }
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var informer = maps.RunAsync(cancellationToken: stop.Token);
        var start = new ProcessStartInfo("dnsmasq") { UseShellExecute = false };
        foreach (var arg in new[] { "--keep-in-foreground", "--no-resolv", "--no-hosts", $"--hostsdir={hostsDirectory}", $"--listen-address={podIp}", "--bind-interfaces", "--pid-file=", "--user=root", "--cache-size=0" }
            .Concat(corefile.Zones.Select(z => $"--local=/{z.TrimEnd('.')}/")))
        {
            start.ArgumentList.Add(arg);
        }

        using var dnsmasq = Process.Start(start) ?? throw new ArgumentException("coredns: dnsmasq could not be started.");
        var endpoints = new List<Task>();
        if (corefile.HealthPort > 0)
        {
            endpoints.Add(ServeAsync(corefile.HealthPort, "/health", () => !dnsmasq.HasExited, stop.Token));
        }

        if (corefile.ReadyPort > 0)
        {
            endpoints.Add(ServeAsync(corefile.ReadyPort, "/ready", () => !dnsmasq.HasExited && loaded, stop.Token));
        }

        logger.LogInformation("CoreDNS model: zones {Zones} on {Address}:53 (dnsmasq pid {Pid}), health :{Health}, ready :{Ready}.", string.Join(" ", corefile.Zones), podIp, dnsmasq.Id, corefile.HealthPort, corefile.ReadyPort);
        try
        {
            await dnsmasq.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            logger.LogError("dnsmasq exited with {Code}.", dnsmasq.ExitCode);
            return 1;
        }
        catch (OperationCanceledException)
        {
            dnsmasq.Kill();
            return 0;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(endpoints.Append(informer)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Answers <paramref name="path"/> on every address's <paramref name="port"/>: 200 OK while <paramref name="ok"/>, else 503.</summary>
    private static async Task ServeAsync(int port, string path, Func<bool> ok, CancellationToken cancellationToken)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Any, port);
        listener.Start();
        while (!cancellationToken.IsCancellationRequested)
        {
            var connection = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    var stream = connection.GetStream();
                    var buffer = new byte[1024];
                    var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    var line = Encoding.ASCII.GetString(buffer, 0, read).Split('\n')[0];
                    var good = line.Split(' ').ElementAtOrDefault(1) == path && ok();
                    var body = good ? "OK" : "not ready";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {(good ? "200 OK" : "503 Service Unavailable")}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken);
        }
    }
}
