using System.Globalization;
using System.Net;
using ChaosEdge.Kubernetes;
using ChaosEdge.Network;
using ChaosEdge.Processes;
using k8s;
using k8s.Models;

namespace ChaosEdge.NodeRuntime.KubeVip;

/// <summary>
/// The lab's model of kube-vip v1.x in ARP mode for the control plane (<c>kube-vip manager</c> with <c>cp_enable</c>,
/// <c>vip_arp</c> and <c>vip_leaderelection</c>), run by the lab's kubelet for the image <c>ghcr.io/kube-vip/kube-vip</c>.
/// What it does, and where kube-vip's source says so:
/// <list type="bullet">
/// <item>Its settings come from the container's environment, with kube-vip's defaults (<c>cmd/kube-vip.go</c>): lease
/// <c>plndr-cp-lock</c> in <c>kube-system</c>, <c>vip_leaseduration</c> 5 s, <c>vip_renewdeadline</c> 3 s,
/// <c>vip_retryperiod</c> 1 s, <c>vip_arpRate</c> 3000 ms.</item>
/// <item>Leader election is client-go's (<c>tools/leaderelection</c>, which kube-vip uses): a candidate tries to acquire
/// every retry period with jitter factor 1.2 and may take the lease only when the record it last saw changing is older
/// than the lease duration, by the candidate's own clock; the leader renews every retry period and, when no renewal
/// succeeds within the renew deadline, stops leading. Every write is a compare-and-swap on the lease's resourceVersion.
/// Leadership needs the API, and the API needs an etcd quorum: a node cut off with a minority cannot win or keep it.</item>
/// <item>The API is reached as kube-vip's DaemonSet reaches it on K3s, with in-cluster configuration: the
/// <c>kubernetes</c> service (<c>KUBERNETES_SERVICE_HOST</c>), balanced by kube-proxy to the servers, with the token
/// the kubelet mounts (<see cref="InCluster"/>).</item>
/// <item>The leader adds the VIP to <c>vip_interface</c> with <c>vip_subnet</c> (32) and sends a gratuitous ARP reply
/// at once and every <c>vip_arpRate</c> while it leads (<c>pkg/arp</c>). When it stops leading it deletes the VIP and
/// exits with an error (kube-vip logs fatally and its container restarts). On SIGTERM it releases the lease (kube-vip
/// sets <c>ReleaseOnCancel</c>) and deletes the VIP.</item>
/// </list>
/// </summary>
internal sealed class KubeVipModel(KubeVipConfig config, KubeClient client, ILogger logger, TimeProvider time)
{
    /// <summary>client-go's jitter factor for candidates' retries (<c>JitterFactor = 1.2</c>).</summary>
    private const double JitterFactor = 1.2;

    private string? observedRecord;
    private long observedAt;
    private bool leading;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // A new instance leads nothing: a VIP left by an instance that was killed goes before the election starts.
        await DeleteVipAsync().ConfigureAwait(false);
        logger.LogInformation("kube-vip model: node '{Node}', VIP {Vip}/{Subnet} on {Interface}, lease {Namespace}/{Lease} ({Duration} s / {Deadline} s / {Retry} s), ARP every {Arp} ms.",
            config.NodeName, config.Address, config.Subnet, config.Interface, config.Namespace, config.LeaseName,
            config.LeaseDuration.TotalSeconds, config.RenewDeadline.TotalSeconds, config.RetryPeriod.TotalSeconds, config.ArpRate.TotalMilliseconds);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await TryAcquireOrRenewAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                await Task.Delay(config.RetryPeriod * (1 + (Random.Shared.NextDouble() * JitterFactor)), time, cancellationToken).ConfigureAwait(false);
            }

            leading = true;
            logger.LogInformation("Node '{Node}' is the leader: adding {Vip}/{Subnet} to {Interface}.", config.NodeName, config.Address, config.Subnet, config.Interface);
            using var arp = new ArpSocket(config.Interface, receive: false);
            await AddVipAsync().ConfigureAwait(false);
            using var announcing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var announcer = AnnounceAsync(arp, announcing.Token);
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(config.RetryPeriod, time, cancellationToken).ConfigureAwait(false);
                    if (!await RenewWithinDeadlineAsync(cancellationToken).ConfigureAwait(false))
                    {
                        leading = false;
                        logger.LogError("Node '{Node}' could not renew lease '{Lease}' within {Deadline} s: lost leadership, deleting {Vip} and exiting (kube-vip restarts).",
                            config.NodeName, config.LeaseName, config.RenewDeadline.TotalSeconds, config.Address);
                        await announcing.CancelAsync().ConfigureAwait(false);
                        await DeleteVipAsync().ConfigureAwait(false);
                        return 1;
                    }
                }
            }
            finally
            {
                await announcing.CancelAsync().ConfigureAwait(false);
                await announcer.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        if (leading)
        {
            await DeleteVipAsync().ConfigureAwait(false);
            await ReleaseAsync().ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>client-go's renew: retry every retry period until one renewal succeeds, for at most the renew deadline.</summary>
    private async Task<bool> RenewWithinDeadlineAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(config.RenewDeadline.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var left = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            if (await TryAcquireOrRenewAsync(left, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            left = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            await Task.Delay(left < config.RetryPeriod ? left : config.RetryPeriod, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt, as client-go's <c>tryAcquireOrRenew</c>: read, decide by the observed time, compare-and-swap. A
    /// candidate's attempt is bounded by the client's own request timeout only (<paramref name="timeout"/> infinite); a
    /// leader's by what is left of its renew deadline.
    /// </summary>
    private async Task<bool> TryAcquireOrRenewAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            var lease = await client.TryCallAsync($"GET {ResourcePath.Leases.For(config.Namespace, config.LeaseName)}",
                (c, t) => c.CoordinationV1.ReadNamespacedLeaseAsync(config.LeaseName, config.Namespace, cancellationToken: t), attempt.Token).ConfigureAwait(false);
            if (lease is null)
            {
                await client.CallAsync($"CREATE {ResourcePath.Leases.For(config.Namespace)}", (c, t) => c.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = config.LeaseName, NamespaceProperty = config.Namespace },
                    Spec = new V1LeaseSpec { HolderIdentity = config.NodeName, LeaseDurationSeconds = (int)config.LeaseDuration.TotalSeconds, AcquireTime = now, RenewTime = now, LeaseTransitions = 0 },
                }, config.Namespace, cancellationToken: t), attempt.Token).ConfigureAwait(false);
                Observe(null);
                return true;
            }

            lease.Spec ??= new V1LeaseSpec();
            var record = Record(lease.Spec);
            if (record != observedRecord)
            {
                observedRecord = record;
                observedAt = time.GetTimestamp();
            }

            var holder = lease.Spec.HolderIdentity;
            var duration = TimeSpan.FromSeconds(lease.Spec.LeaseDurationSeconds ?? (int)config.LeaseDuration.TotalSeconds);
            if (!string.IsNullOrEmpty(holder) && holder != config.NodeName && time.GetElapsedTime(observedAt) < duration)
            {
                return false;
            }

            if (holder != config.NodeName)
            {
                lease.Spec.AcquireTime = now;
                lease.Spec.LeaseTransitions = (lease.Spec.LeaseTransitions ?? 0) + 1;
                lease.Spec.HolderIdentity = config.NodeName;
            }

            lease.Spec.RenewTime = now;
            lease.Spec.LeaseDurationSeconds = (int)config.LeaseDuration.TotalSeconds;
            var updated = await client.CallAsync($"UPDATE {ResourcePath.Leases.For(config.Namespace, config.LeaseName)}",
                (c, t) => c.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, config.LeaseName, config.Namespace, cancellationToken: t), attempt.Token).ConfigureAwait(false);
            Observe(updated.Spec);
            return true;
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug("Lease '{Lease}': {Error}", config.LeaseName, e.Message);
            return false;
        }
    }

    private void Observe(V1LeaseSpec? spec)
    {
        observedRecord = spec is null ? null : Record(spec);
        observedAt = time.GetTimestamp();
    }

    private static string Record(V1LeaseSpec spec) => string.Join('|', spec.HolderIdentity, spec.LeaseDurationSeconds, spec.AcquireTime?.ToString("O", CultureInfo.InvariantCulture),
        spec.RenewTime?.ToString("O", CultureInfo.InvariantCulture), spec.LeaseTransitions);

    /// <summary>client-go's <c>ReleaseOnCancel</c>: an empty holder with a one-second lease, so another node takes over at once.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(config.RenewDeadline);
        try
        {
            var lease = await client.CallAsync($"GET {ResourcePath.Leases.For(config.Namespace, config.LeaseName)}",
                (c, t) => c.CoordinationV1.ReadNamespacedLeaseAsync(config.LeaseName, config.Namespace, cancellationToken: t), timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != config.NodeName)
            {
                return;
            }

            var now = time.GetUtcNow().UtcDateTime;
            lease.Spec.HolderIdentity = string.Empty;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = now;
            lease.Spec.AcquireTime = now;
            await client.CallAsync($"UPDATE {ResourcePath.Leases.For(config.Namespace, config.LeaseName)}",
                (c, t) => c.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, config.LeaseName, config.Namespace, cancellationToken: t), timeout.Token).ConfigureAwait(false);
            logger.LogInformation("Released lease '{Lease}'.", config.LeaseName);
        }
        catch (Exception e) when (e is KubeApiException or HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning("Could not release lease '{Lease}': {Error}", config.LeaseName, e.Message);
        }
    }

    private async Task AnnounceAsync(ArpSocket arp, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                arp.SendGratuitous(config.Address, reply: true);
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("{Error}", e.Message);
            }

            try
            {
                await Task.Delay(config.ArpRate, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AddVipAsync()
    {
        var result = await ProcessRunner.RunAsync("ip", ["addr", "replace", $"{config.Address}/{config.Subnet}", "dev", config.Interface], timeout: TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"could not add {config.Address}/{config.Subnet} to {config.Interface}: {result.Stderr.Trim()}");
        }
    }

    private async Task DeleteVipAsync()
    {
        // 'ip addr del' fails when the address is not there, which is the state wanted.
        await ProcessRunner.RunAsync("ip", ["addr", "del", $"{config.Address}/{config.Subnet}", "dev", config.Interface], timeout: TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }
}

/// <summary>kube-vip's settings, read from its container's environment as kube-vip reads them (<c>pkg/kubevip/config_envvar.go</c>).</summary>
internal sealed record KubeVipConfig(string NodeName, IPAddress Address, int Subnet, string Interface, string Namespace, string LeaseName,
    TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod, TimeSpan ArpRate)
{
    /// <summary>The settings in <paramref name="environment"/>; every problem in one exception, as kube-vip refuses to start.</summary>
    public static KubeVipConfig FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        var problems = new List<string>();
        string? Get(string name) => environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
        int Int(string name, int fallback)
        {
            if (Get(name) is not { } text)
            {
                return fallback;
            }

            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return value;
            }

            problems.Add($"{name}='{text}' is not a positive whole number");
            return fallback;
        }

        bool Flag(string name) => Get(name) is { } text && bool.TryParse(text, out var on) && on;
        var addressText = Get("address") ?? Get("vip_address");
        IPAddress? address = null;
        if (addressText is null)
        {
            problems.Add("no VIP: set 'address' (or 'vip_address')");
        }
        else if (!IPAddress.TryParse(addressText, out address))
        {
            problems.Add($"address='{addressText}' is not an IP address (the lab's model does not resolve DNS names)");
        }

        if (!Flag("cp_enable") || !Flag("vip_arp") || !Flag("vip_leaderelection"))
        {
            problems.Add("the lab models kube-vip's control-plane VIP in ARP mode with leader election: it needs cp_enable, vip_arp and vip_leaderelection set to \"true\"");
        }

        if (Flag("svc_enable"))
        {
            problems.Add("svc_enable=\"true\": kube-vip's service load balancer is not modelled by the lab (the lab's service VIPs come from its own load balancer)");
        }

        var iface = Get("vip_interface");
        if (iface is null)
        {
            problems.Add("no vip_interface (the lab's model does not guess the interface)");
        }

        var duration = TimeSpan.FromSeconds(Int("vip_leaseduration", 5));
        var deadline = TimeSpan.FromSeconds(Int("vip_renewdeadline", 3));
        var retry = TimeSpan.FromSeconds(Int("vip_retryperiod", 1));
        if (duration <= deadline)
        {
            problems.Add("leaseDuration must be greater than renewDeadline (client-go's leader election refuses it)");
        }

        if (deadline.TotalSeconds <= JitterFactor * retry.TotalSeconds)
        {
            problems.Add("renewDeadline must be greater than retryPeriod*JitterFactor (client-go's leader election refuses it)");
        }

        var node = Get("vip_nodename") ?? Get("NODE_NAME") ?? Environment.MachineName;
        if (problems.Count > 0)
        {
            throw new ArgumentException("kube-vip: " + string.Join("; ", problems) + ".");
        }

        return new KubeVipConfig(node, address!, Int("vip_subnet", 32), iface!, Get("cp_namespace") ?? "kube-system", Get("vip_leasename") ?? "plndr-cp-lock",
            duration, deadline, retry, TimeSpan.FromMilliseconds(Int("vip_arpRate", 3000)));
    }

    private const double JitterFactor = 1.2;
}
