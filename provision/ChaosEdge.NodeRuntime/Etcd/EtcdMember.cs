using System.Diagnostics;

namespace ChaosEdge.NodeRuntime.Etcd;

/// <summary>
/// This server's etcd member, run as a child process as K3s runs its embedded etcd: mutual TLS for clients and peers,
/// K3s's timings (heartbeat 500 ms, election timeout 5 s). Stopping the node service stops it.
/// </summary>
internal sealed class EtcdMember(RuntimeOptions options, Tls.ServerCredentials credentials, ILogger logger) : IAsyncDisposable
{
    private Process? process;

    public Uri ClientUrl => new($"https://{options.NodeIp}:2379");

    public string PeerUrl => $"https://{options.NodeIp}:2380";

    public bool HasData => Directory.Exists(Path.Combine(options.EtcdDataDir, "member"));

    /// <summary>Starts etcd: a new cluster of one (cluster-init), a member of an existing cluster, or restarted from its data.</summary>
    public void Start(string initialCluster, bool newCluster)
    {
        Directory.CreateDirectory(options.EtcdDataDir);
        var start = new ProcessStartInfo("etcd") { UseShellExecute = false };
        foreach (var arg in new[]
        {
            "--name", options.NodeName, "--data-dir", options.EtcdDataDir,
            "--listen-client-urls", $"https://127.0.0.1:2379,https://{options.NodeIp}:2379", "--advertise-client-urls", ClientUrl.AbsoluteUri.TrimEnd('/'),
            "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-state", newCluster ? "new" : "existing", "--initial-cluster-token", "chaosedge-lab",
            "--cert-file", credentials.EtcdServerCertificatePath, "--key-file", credentials.EtcdServerKeyPath, "--trusted-ca-file", credentials.EtcdCaPath, "--client-cert-auth",
            "--peer-cert-file", credentials.EtcdServerCertificatePath, "--peer-key-file", credentials.EtcdServerKeyPath, "--peer-trusted-ca-file", credentials.EtcdCaPath, "--peer-client-cert-auth",
            "--heartbeat-interval", options.EtcdHeartbeatIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--election-timeout", options.EtcdElectionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // As K3s's embedded etcd (3.5+, where it is the default): a member cut off by a partition does not raise
            // the term while alone, so on its return it cannot depose the majority's leader. Debian's etcd 3.4 has it off.
            "--pre-vote",
            "--logger", "zap", "--log-outputs", Path.Combine("/var/log", "etcd.log"),
            "--snapshot-count", "10000", "--quota-backend-bytes", (256L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("etcd did not start.");
        logger.LogInformation("etcd member '{Name}' started (pid {Pid}, {State}, initial cluster {Cluster}).", options.NodeName, process.Id, newCluster ? "new cluster" : "existing cluster", initialCluster);
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            // SIGTERM: etcd stops cleanly (as when K3s stops); SIGKILL only if it does not within 10 s.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync().ConfigureAwait(false);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: false);
            }
        }

        process?.Dispose();
    }
}
