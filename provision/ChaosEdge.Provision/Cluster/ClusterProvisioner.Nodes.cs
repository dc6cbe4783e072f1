using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.Cluster;

public sealed partial class ClusterProvisioner
{
    private readonly HashSet<string> runtimeChanged = new(StringComparer.Ordinal);

    private async Task PreflightAsync(CancellationToken cancellationToken)
    {
        Report($"Preflight: {inventory.Nodes.Count} nodes reachable over SSH, clocks, disk, programs, ports");
        await Task.WhenAll(inventory.Nodes.Select(async node =>
        {
            const string Script = """
                date +%s.%N
                df -Pk /var/lib/rancher 2>/dev/null | tail -1 | awk '{print "free " $4}'
                for p in etcd keepalived dnsmasq nft curl dotnet dig; do command -v $p >/dev/null || echo "missing $p"; done
                systemctl is-active k3s >/dev/null 2>&1 && echo k3s-active
                ss -Hltn 2>/dev/null | awk '{print $4}' | grep -E ':(6443|2379|2380)$' | sed 's/^/port /'
                exit 0
                """;
            var before = options.TimeProvider.GetUtcNow();
            NodeCommandResult result;
            try
            {
                result = await Shell(node).RunCheckedAsync(Script, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ChaosEdgeException e) when (e is not ProvisionStepException)
            {
                throw new ProvisionStepException("preflight", node.Name, e.Message, e);
            }

            var after = options.TimeProvider.GetUtcNow();
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var remote = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(lines[0], CultureInfo.InvariantCulture) * 1000));
            var skew = remote - (before + ((after - before) / 2));
            var problems = new List<string>();
            if (Math.Abs(skew.TotalSeconds) > 2)
            {
                problems.Add($"its clock is {skew.TotalSeconds:0.0} s off the harness's (more than 2 s breaks leases and certificates)");
            }

            problems.AddRange(lines.Where(l => l.StartsWith("missing ", StringComparison.Ordinal)).Select(l => $"program '{l[8..]}' is not installed"));
            if (lines.FirstOrDefault(l => l.StartsWith("free ", StringComparison.Ordinal)) is { } free && long.Parse(free[5..], CultureInfo.InvariantCulture) < 1024 * 1024)
            {
                problems.Add($"less than 1 GiB free under /var/lib/rancher ({free[5..]} KiB)");
            }

            if (!lines.Contains("k3s-active") && lines.Where(l => l.StartsWith("port ", StringComparison.Ordinal)).ToList() is { Count: > 0 } ports)
            {
                problems.Add($"ports needed by K3s are in use by something else: {string.Join(", ", ports.Select(p => p[5..]))}");
            }

            if (problems.Count > 0)
            {
                throw new ProvisionStepException("preflight", node.Name, string.Join("; ", problems) + ".");
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Installs the node runtime as <c>/usr/local/bin/k3s</c> where the node's copy differs from the harness's.</summary>
    private async Task InstallRuntimeAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(options.RuntimeDirectory, "ce-k3s.dll")))
        {
            throw new ProvisionStepException("install", null, $"The node runtime is not built: '{Path.Combine(options.RuntimeDirectory, "ce-k3s.dll")}' is missing. Build the solution first ('dotnet build').");
        }

        var hash = NodeRuntimeFiles.Hash(options.RuntimeDirectory);
        string? archive = null;
        try
        {
            foreach (var node in inventory.Nodes)
            {
                var installed = await Shell(node).RunAsync($"cat {RuntimeHome}/.hash 2>/dev/null", cancellationToken: cancellationToken).ConfigureAwait(false);
                if (installed.Stdout.Trim() == hash)
                {
                    continue;
                }

                if (archive is null)
                {
                    archive = Path.Combine(Path.GetTempPath(), $"ce-k3s-{hash[..12]}.tgz");
                    var tar = await ProcessRunner.RunAsync("tar", ["-C", options.RuntimeDirectory, "-czf", archive, "."], cancellationToken: cancellationToken).ConfigureAwait(false);
                    if (tar.ExitCode != 0)
                    {
                        throw new ProvisionStepException("install", null, $"tar could not pack '{options.RuntimeDirectory}': {tar.Stderr}");
                    }
                }

                await Shell(node).UploadAsync(archive, "/tmp/ce-k3s.tgz", cancellationToken).ConfigureAwait(false);
                await Shell(node).RunCheckedAsync(
                    $"rm -rf {RuntimeHome} && mkdir -p {RuntimeHome} && tar -xzf /tmp/ce-k3s.tgz -C {RuntimeHome} && rm -f /tmp/ce-k3s.tgz && echo {hash} > {RuntimeHome}/.hash"
                    + $" && printf '#!/bin/sh\\nexec dotnet {RuntimeHome}/ce-k3s.dll \"$@\"\\n' > /usr/local/bin/k3s && chmod 755 /usr/local/bin/k3s",
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                runtimeChanged.Add(node.Name);
                Changed($"Node '{node.Name}': installed the node runtime ({hash[..12]}) as /usr/local/bin/k3s.");
            }
        }
        finally
        {
            if (archive is not null)
            {
                File.Delete(archive);
            }
        }
    }

    private string ComponentArgs()
    {
        var settings = inventory.Cluster;
        var pool = string.Join(',', inventory.ServiceVipPool);
        // With MetalLB the runtime assigns no LoadBalancer addresses itself, as K3s with 'disable: servicelb'.
        return $"--tls-san {Vip}{(MetalLb ? string.Empty : $" --service-lb-pool {pool}")}"
            + $" --kube-controller-manager-arg node-monitor-grace-period={Seconds(settings.NodeMonitorGracePeriod)}s"
            + $" --kubelet-arg node-lease-duration-seconds={Seconds(settings.NodeLeaseDuration)}"
            + $" --kube-apiserver-arg default-not-ready-toleration-seconds={Seconds(settings.PodEvictionTimeout)}"
            + $" --kube-apiserver-arg default-unreachable-toleration-seconds={Seconds(settings.PodEvictionTimeout)}";
    }

    private async Task StartServerAsync(NodeSpec node, string joinArgs, string token, CancellationToken cancellationToken)
    {
        Report($"Server '{node.Name}': k3s server {joinArgs.Split(' ')[0]}");
        var command = $"/usr/local/bin/k3s server {joinArgs} --node-name {node.Name} --node-ip {node.Address} {ComponentArgs()}";
        await EnsureServiceAsync(node, "k3s", command, $"K3S_TOKEN={token}\n", cancellationToken).ConfigureAwait(false);
        await WaitOnNodeAsync(node, "k3s", "answer /readyz on its API server (its etcd member has joined and has a quorum)",
            $"curl -sf --max-time 2 --cacert {ServerCaPath} https://127.0.0.1:6443/readyz", TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
    }

    private async Task StartAgentAsync(NodeSpec node, string token, CancellationToken cancellationToken)
    {
        Report($"Agent '{node.Name}': k3s agent --server https://{Vip}:6443");
        var command = $"/usr/local/bin/k3s agent --server https://{Vip}:6443 --node-name {node.Name} --node-ip {node.Address} --kubelet-arg node-lease-duration-seconds={Seconds(inventory.Cluster.NodeLeaseDuration)}";
        await EnsureServiceAsync(node, "k3s", command, $"K3S_TOKEN={token}\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a unit (and its secret environment file), and (re)starts it when anything changed or it is not running; returns whether it did.</summary>
    private async Task<bool> EnsureServiceAsync(NodeSpec node, string unit, string execStart, string? environment, CancellationToken cancellationToken, string killMode = "process")
    {
        var envPath = $"/etc/systemd/system/{unit}.service.env";
        var text = $"""
            [Unit]
            Description={unit}, provisioned by ChaosEdge
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=exec
            {(environment is null ? string.Empty : $"EnvironmentFile=-{envPath}")}
            KillMode={killMode}
            Delegate=yes
            TimeoutStopSec=20
            Restart=always
            RestartSec=5s
            ExecStart={execStart}

            [Install]
            WantedBy=multi-user.target

            """;
        var changed = await EnsureFileAsync(node, $"/etc/systemd/system/{unit}.service", text, (UnixFileMode)0b110_100_100, cancellationToken).ConfigureAwait(false);
        if (environment is not null)
        {
            changed |= await EnsureFileAsync(node, envPath, environment, UnixFileMode.UserRead | UnixFileMode.UserWrite, cancellationToken, secret: true).ConfigureAwait(false);
        }

        changed |= unit == "k3s" && runtimeChanged.Contains(node.Name);
        var active = (await Shell(node).RunAsync($"systemctl is-active {unit}", cancellationToken: cancellationToken).ConfigureAwait(false)).Succeeded;
        if (changed || !active)
        {
            await Shell(node).RunCheckedAsync($"systemctl daemon-reload && systemctl enable {unit} && systemctl restart {unit}", cancellationToken: cancellationToken).ConfigureAwait(false);
            Changed($"Node '{node.Name}': {(active ? "restarted" : "started")} {unit}.");
            return true;
        }

        return false;
    }

    private async Task WaitOnNodeAsync(NodeSpec node, string unit, string condition, string check, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string? last = null;
        try
        {
            await Wait.UntilAsync($"Node '{node.Name}'", condition, async token =>
            {
                var result = await Shell(node).RunAsync(check, cancellationToken: token).ConfigureAwait(false);
                last = (result.Stdout + result.Stderr).Trim();
                return (result.Succeeded, last);
            }, timeout, TimeSpan.FromMilliseconds(500), options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Errors.GateTimeoutException e)
        {
            var log = await Shell(node).RunAsync($"tail -n 15 /var/log/{unit}.log", cancellationToken: cancellationToken).ConfigureAwait(false);
            throw new ProvisionStepException($"start {unit}", node.Name, $"{e.Message} /var/log/{unit}.log ends with:\n{log.Stdout}", e);
        }
    }
}
