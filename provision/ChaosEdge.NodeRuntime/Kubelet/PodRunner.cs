using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Ssh;

namespace ChaosEdge.NodeRuntime.Kubelet;

/// <summary>
/// Runs this node's pods as real processes in the node's network namespace (host networking: a pod's IP is its
/// node's), each in a session and mount namespace of its own with its configMap and emptyDir volumes bound at their
/// mount paths. The pod's PID is kept on disk, so pods outlive the kubelet (a stopped node service) and are adopted
/// when it starts again. Readiness comes from the pod's real readinessProbe (tcpSocket, httpGet or exec).
/// Only a pod's first container is run. Every process of a pod carries the pod's instance in its environment, so
/// processes a pod leaves behind (re-parented, in a session of their own) are found and killed before anything else
/// starts, as a container runtime's cgroup kill would.
/// </summary>
internal sealed partial class PodRunner(KubeClient client, RuntimeOptions options, ILogger logger, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, PodState> states = new(StringComparer.Ordinal);
    private KubeInformer? configMaps;

    private const string NodeTag = "CHAOSEDGE_POD_NODE";
    private const string InstanceTag = "CHAOSEDGE_POD_INSTANCE";

    private sealed class PodState
    {
        public int Pid { get; set; }

        /// <summary>The running instance (pod UID and a start nonce); stray processes of other instances are killed.</summary>
        public string Instance { get; set; } = string.Empty;

        /// <summary>The kernel's start time of <see cref="Pid"/> (clock ticks since boot): it survives exec, and a reused PID has another.</summary>
        public ulong StartTicks { get; set; }

        public bool? Ready { get; set; }
        public int Restarts { get; set; }
        public long NextProbe { get; set; }

        /// <summary>When a crashed pod may start again (CrashLoopBackOff); 0 when it may start now.</summary>
        public long StartAfter { get; set; }

        public long StartedTimestamp { get; set; }

        public int BackoffStep { get; set; }
        public string StartedAt { get; set; } = string.Empty;
        public bool StatusDirty { get; set; } = true;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pods = new KubeInformer(client, ResourcePath.Pods.For(), logger, fieldSelector: $"spec.nodeName={options.NodeName}");
        configMaps = new KubeInformer(client, ResourcePath.ConfigMaps.For(), logger);
        var wake = new SemaphoreSlim(0);
        pods.Changed += _ => wake.Release();
        configMaps.Changed += _ => wake.Release();
        var loops = new[] { pods.RunAsync(cancellationToken: cancellationToken), configMaps.RunAsync(cancellationToken: cancellationToken) };
        Directory.CreateDirectory(options.PodsDir);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await wake.WaitAsync(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                if (pods.Synced.IsCompleted)
                {
                    await SyncAsync(pods.Items, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TaskCanceledException or IOException)
            {
                logger.LogWarning("Pod sync failed: {Error}", e.Message);
            }
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task SyncAsync(IReadOnlyCollection<JsonObject> pods, CancellationToken cancellationToken)
    {
        // Stops first: a replaced pod's ports are free before its successor starts.
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var running = new List<JsonObject>();
        foreach (var pod in pods)
        {
            var uid = pod.Text("metadata.uid")!;
            wanted.Add(uid);
            var state = states.GetOrAdd(uid, _ => Adopt(uid));
            if (pod["metadata"]?["deletionTimestamp"] is not null)
            {
                await StopAsync(uid, state, (int?)pod["metadata"]?["deletionGracePeriodSeconds"] ?? 30, cancellationToken).ConfigureAwait(false);
                await client.DeleteAsync(ResourcePath.Pods.For(pod.Namespace(), pod.Name()), 0, cancellationToken).ConfigureAwait(false);
                states.TryRemove(uid, out _);
                logger.LogInformation("Pod '{Namespace}/{Pod}' stopped and deleted.", pod.Namespace(), pod.Name());
            }
            else
            {
                running.Add(pod);
            }
        }

        foreach (var uid in states.Keys.Except(wanted).ToList())
        {
            if (states.TryRemove(uid, out var orphan))
            {
                await StopAsync(uid, orphan, 2, cancellationToken).ConfigureAwait(false);
            }
        }

        // Pods this kubelet ran before a restart and the API no longer has.
        foreach (var directory in Directory.GetDirectories(options.PodsDir))
        {
            var uid = Path.GetFileName(directory);
            if (!wanted.Contains(uid) && !states.ContainsKey(uid))
            {
                await StopAsync(uid, Adopt(uid), 2, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var pod in running)
        {
            var uid = pod.Text("metadata.uid")!;
            var state = states[uid];
            if (!Running(state))
            {
                if (state.Pid != 0)
                {
                    var backoff = RestartBackoff(state);
                    state.Restarts++;
                    state.Pid = 0;
                    state.Ready = false;
                    state.StatusDirty = true;
                    state.StartAfter = time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency);
                    logger.LogWarning("Pod '{Namespace}/{Pod}' exited; restarting in {Backoff} s (restart {Count}).", pod.Namespace(), pod.Name(), backoff.TotalSeconds, state.Restarts);
                }

                if (time.GetTimestamp() >= state.StartAfter)
                {
                    await StartAsync(pod, uid, state, cancellationToken).ConfigureAwait(false);
                }
            }

            WriteVolumes(pod, uid);
            await ProbeAsync(pod, state, cancellationToken).ConfigureAwait(false);
            var reported = pod.Condition("Ready");
            if (state.StatusDirty || reported != (Running(state) && state.Ready == true ? "True" : "False") || pod.Text("status.podIP") is null)
            {
                await ReportAsync(pod, state, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The kubelet's crash-loop back-off: 10 s after the first exit, doubling up to 5 minutes; a container that ran
    /// 10 minutes without exiting starts again from 10 s.
    /// </summary>
    private TimeSpan RestartBackoff(PodState state)
    {
        if (state.StartedTimestamp != 0 && time.GetElapsedTime(state.StartedTimestamp) >= TimeSpan.FromMinutes(10))
        {
            state.BackoffStep = 0;
        }

        var backoff = TimeSpan.FromSeconds(Math.Min(300, 10 * (1 << Math.Min(state.BackoffStep, 5))));
        state.BackoffStep++;
        return backoff;
    }

    private PodState Adopt(string uid)
    {
        var state = new PodState();
        var pidFile = Path.Combine(options.PodsDir, uid, "pid");
        var instanceFile = Path.Combine(options.PodsDir, uid, "instance");
        var instance = File.Exists(instanceFile) ? File.ReadAllText(instanceFile).Trim() : string.Empty;

        // After a power cut the PID in the file may belong to any process now: adopt it only if it carries this pod's instance.
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid) && Alive(pid)
            && (instance.Length == 0 || Tags(pid) == (NodeIdentity, instance)))
        {
            state.Pid = pid;
            state.Instance = instance;
            state.StartTicks = StartTicks(pid);
            state.StartedAt = File.GetLastWriteTimeUtc(pidFile).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            logger.LogInformation("Adopted running pod {Uid} (pid {Pid}).", uid, pid);
        }

        return state;
    }

    private async Task StartAsync(JsonObject pod, string uid, PodState state, CancellationToken cancellationToken)
    {
        var container = (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        if (LabImages.CommandOf(container) is not { } command)
        {
            logger.LogWarning("Pod '{Namespace}/{Pod}': {Problem}", pod.Namespace(), pod.Name(), LabImages.Problem(container));
            return;
        }

        // Whatever an earlier instance of any pod left behind on this node goes before this one binds its ports (and
        // before its root is written: a stray still executing the old root's busybox would hold the file).
        KillStrays();
        var directory = Path.Combine(options.PodsDir, uid);
        Directory.CreateDirectory(directory);
        WriteVolumes(pod, uid);
        var mounts = new List<string>();
        var hostNetwork = (bool?)pod["spec"]?["hostNetwork"] == true;
        if (!hostNetwork)
        {
            // A pod off the host network has a UTS namespace of its own, named after the pod (its addresses are still the node's: the lab has no pod network).
            mounts.Add($"hostname {ShellQuote.Quote(pod.Name())}");
        }

        // busybox's commands run among busybox's applets, in a root of the pod's own, as in its image.
        var root = LabImages.IsBusybox(container) ? BusyboxRoot(directory, pod.Name()) : null;
        if (root is not null)
        {
            mounts.Add($"mount -t proc proc {ShellQuote.Quote(root + "/proc")} && mount --rbind /dev {ShellQuote.Quote(root + "/dev")}");
        }

        // What a kubelet mounts into every container (automountServiceAccountToken): the token, the cluster's CA and
        // the pod's namespace, read by in-cluster clients. The lab has one identity: the token is its admin token.
        var account = InCluster.WritePodFiles(options, directory, pod.Namespace() ?? "default");
        mounts.Add($"mkdir -p {ShellQuote.Quote(root + InCluster.ServiceAccountPath)} && mount --bind {ShellQuote.Quote(account)} {ShellQuote.Quote(root + InCluster.ServiceAccountPath)}");
        foreach (var mount in (container!["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var source = Path.Combine(directory, "volumes", (string)mount["name"]!);
            var target = root + (string)mount["mountPath"]!;
            mounts.Add($"mkdir -p {ShellQuote.Quote(target)} && mount --bind {ShellQuote.Quote(source)} {ShellQuote.Quote(target)}");
        }

        var instance = $"{uid}.{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(Path.Combine(directory, "instance"), instance, cancellationToken).ConfigureAwait(false);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [NodeTag] = NodeIdentity, [InstanceTag] = instance,
            ["POD_NAME"] = pod.Name(), ["POD_NAMESPACE"] = pod.Namespace() ?? "default", ["NODE_NAME"] = options.NodeName, ["POD_IP"] = options.NodeIp.ToString(),
            // What a kubelet gives every container: the API through the 'kubernetes' service (in-cluster configuration).
            ["KUBERNETES_SERVICE_HOST"] = Tls.ServerCredentials.FirstServiceIp(options.ServiceCidr).ToString(), ["KUBERNETES_SERVICE_PORT"] = "443",
        };
        foreach (var env in (container!["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            environment[(string)env["name"]!] = env["valueFrom"]?["fieldRef"]?["fieldPath"] is { } field
                ? FieldValue(pod, (string?)field)
                : Expand((string?)env["value"] ?? string.Empty, environment);
        }

        command = [.. command.Select(c => Expand(c, environment))];
        if (root is not null)
        {
            environment.TryAdd("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            environment.TryAdd("HOME", "/root");
            command = ["chroot", root, .. command];
        }

        var logDirectory = $"/var/log/pods/{pod.Namespace()}_{pod.Name()}_{uid}";
        Directory.CreateDirectory(logDirectory);
        var inner = string.Join(" && ", mounts.Append("exec " + string.Join(' ', command.Select(ShellQuote.Quote))));
        var launch = $"echo $$ > {ShellQuote.Quote(Path.Combine(directory, "pid"))}; exec unshare --mount {(hostNetwork ? string.Empty : "--uts ")}--propagation private sh -c {ShellQuote.Quote(inner)}";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "-f", "sh", "-c", launch + $" </dev/null >>{ShellQuote.Quote(Path.Combine(logDirectory, "0.log"))} 2>&1" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        File.Delete(Path.Combine(directory, "pid"));
        using (var process = Process.Start(start)!)
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }

        // 'setsid -f' returns before the forked shell has written its PID; wait for it (at most 1 s).
        var deadline = time.GetTimestamp() + time.TimestampFrequency;
        while (!File.Exists(Path.Combine(directory, "pid")) && time.GetTimestamp() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken).ConfigureAwait(false);
        }

        state.Pid = File.Exists(Path.Combine(directory, "pid")) && int.TryParse(File.ReadAllText(Path.Combine(directory, "pid")).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        state.Instance = instance;
        state.StartTicks = StartTicks(state.Pid);
        state.StartedAt = Api.ObjectStore.Now(time);
        state.StartedTimestamp = time.GetTimestamp();
        state.StartAfter = 0;
        state.Ready = null;
        state.NextProbe = 0;
        state.StatusDirty = true;
        logger.LogInformation("Started pod '{Namespace}/{Pod}' (pid {Pid}): {Command}", pod.Namespace(), pod.Name(), state.Pid, string.Join(' ', command));
    }

    /// <summary>Debian's static busybox, the lab's busybox image.</summary>
    public const string Busybox = "/bin/busybox";

    private static string[]? busyboxApplets;

    /// <summary>The pod's root filesystem of busybox's applets (bin, proc, dev, tmp, etc with hosts and hostname); returns its path.</summary>
    private static string BusyboxRoot(string podDirectory, string podName)
    {
        if (!File.Exists(Busybox))
        {
            throw new InvalidOperationException($"The lab's busybox image needs Debian's busybox-static ('{Busybox}' is missing on this node).");
        }

        var root = Path.Combine(podDirectory, "rootfs");
        foreach (var directory in new[] { "bin", "proc", "dev", "tmp", "etc", "root", "var/run" })
        {
            Directory.CreateDirectory(Path.Combine(root, directory));
        }

        // A new file renamed over the old one: writing into a binary a process still executes fails (ETXTBSY).
        var binary = Path.Combine(root, "bin", "busybox");
        File.Copy(Busybox, binary + ".new", overwrite: true);
        File.SetUnixFileMode(binary + ".new", (UnixFileMode)0b111_101_101);
        File.Move(binary + ".new", binary, overwrite: true);
        busyboxApplets ??= ListApplets();
        foreach (var applet in busyboxApplets.Where(a => a != "busybox"))
        {
            var link = Path.Combine(root, "bin", applet);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }

        File.WriteAllText(Path.Combine(root, "etc", "hostname"), podName + "\n");
        File.WriteAllText(Path.Combine(root, "etc", "hosts"), $"127.0.0.1 localhost\n");
        return root;
    }

    private static string[] ListApplets()
    {
        using var process = Process.Start(new ProcessStartInfo(Busybox, "--list") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var list = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        return list;
    }

    private void WriteVolumes(JsonObject pod, string uid)
    {
        foreach (var volume in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var directory = Path.Combine(options.PodsDir, uid, "volumes", (string)volume["name"]!);
            Directory.CreateDirectory(directory);
            if (volume["configMap"] is JsonObject source && configMaps?.Get(pod.Namespace(), (string)source["name"]!) is { } map)
            {
                foreach (var (key, value) in map["data"] as JsonObject ?? [])
                {
                    var path = Path.Combine(directory, key);
                    var text = (string?)value ?? string.Empty;
                    if (!File.Exists(path) || File.ReadAllText(path) != text)
                    {
                        // Atomic replace, as the kubelet's projected volumes do; readers never see half a file.
                        File.WriteAllText(path + ".tmp", text);
                        File.Move(path + ".tmp", path, overwrite: true);
                    }
                }
            }
        }
    }

    private async Task StopAsync(string uid, PodState state, int graceSeconds, CancellationToken cancellationToken)
    {
        if (Running(state))
        {
            Signal(state.Pid, "TERM");
            var deadline = time.GetTimestamp() + (long)(Math.Max(1, graceSeconds) * time.TimestampFrequency);
            while (Running(state) && time.GetTimestamp() < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            if (Running(state))
            {
                Signal(state.Pid, "KILL");
            }
        }

        KillStrays();
        var directory = Path.Combine(options.PodsDir, uid);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>This node among all lab nodes on the host (names repeat across labs; addresses do not).</summary>
    private string NodeIdentity => $"{options.NodeIp}/{options.NodeName}";

    /// <summary>
    /// Kills every process tagged as a pod of this node whose instance is not a running pod's current one: children
    /// that outlived their pod (re-parented to init, in a session of their own) and instances this kubelet lost track of.
    /// </summary>
    private void KillStrays()
    {
        var current = states.Values.Where(Running).Select(s => s.Instance).ToHashSet(StringComparer.Ordinal);
        foreach (var (pid, node, instance) in TaggedProcesses())
        {
            if (node == NodeIdentity && !current.Contains(instance))
            {
                logger.LogWarning("Killing process {Pid} left behind by pod instance {Instance}.", pid, instance);
                using var kill = Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        }
    }

    private static IEnumerable<(int Pid, string Node, string Instance)> TaggedProcesses()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId
                && Tags(pid) is { } tags && Alive(pid))
            {
                yield return (pid, tags.Node, tags.Instance);
            }
        }
    }

    /// <summary>The pod tags in a process's environment, or null when it has none (or is gone).</summary>
    private static (string Node, string Instance)? Tags(int pid)
    {
        string environ;
        try
        {
            environ = File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        string? node = null, instance = null;
        foreach (var variable in environ.Split('\0'))
        {
            if (variable.StartsWith(NodeTag + "=", StringComparison.Ordinal))
            {
                node = variable[(NodeTag.Length + 1)..];
            }
            else if (variable.StartsWith(InstanceTag + "=", StringComparison.Ordinal))
            {
                instance = variable[(InstanceTag.Length + 1)..];
            }
        }

        return node is not null && instance is not null ? (node, instance) : null;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", "--", $"-{pid}"]);
        kill.WaitForExit();
    }

    /// <summary>
    /// Whether the pod's process still runs: its PID is alive and is still the process that was started (PIDs are
    /// reused, and a reused one must never be signalled as if it were the pod), known by its kernel start time, which
    /// exec keeps. Not by its environment's tags: <c>/proc/PID/environ</c> reads empty while the process is inside an
    /// exec (the pod's start is a chain of them), and a pod judged dead then was restarted next to itself. A pod whose
    /// start time is unknown is judged by its tags, or by its PID alone when it has none recorded.
    /// </summary>
    private bool Running(PodState state) => Alive(state.Pid) && (state.StartTicks != 0 ? StartTicks(state.Pid) == state.StartTicks
        : state.Instance.Length == 0 || Tags(state.Pid) == (NodeIdentity, state.Instance));

    /// <summary>Field 22 of <c>/proc/PID/stat</c>, the process's start time in clock ticks after boot; 0 when it is gone.</summary>
    internal static ulong StartTicks(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // After the command's ')' come field 3 (state) onwards; the start time is field 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && ulong.TryParse(fields[19], CultureInfo.InvariantCulture, out var ticks) ? ticks : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    internal static bool Alive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The downward API's fields a lab pod can read (<c>env[].valueFrom.fieldRef</c>); host networking, so both IPs are the node's.</summary>
    private string FieldValue(JsonObject pod, string? field) => field switch
    {
        "spec.nodeName" => options.NodeName,
        "metadata.name" => pod.Name(),
        "metadata.namespace" => pod.Namespace() ?? "default",
        "metadata.uid" => pod.Text("metadata.uid") ?? string.Empty,
        "status.podIP" or "status.hostIP" => options.NodeIp.ToString(),
        "spec.serviceAccountName" => pod.Text("spec.serviceAccountName") ?? "default",
        _ => string.Empty,
    };

    private static string Expand(string text, Dictionary<string, string> environment)
    {
        foreach (var (key, value) in environment)
        {
            text = text.Replace($"$({key})", value, StringComparison.Ordinal);
        }

        return text;
    }
}
