using System.Globalization;
using System.Text;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.Provision.Cluster;

public sealed partial class ClusterProvisioner
{
    /// <summary>The lab's replicated volume: its name, size, NBD port and Longhorn's default engine-replica timeout.</summary>
    public const string VolumeName = Scenarios.VolumeWatch.LabVolume;
    public const long VolumeSize = 64L << 20;
    public const int NbdPort = Scenarios.VolumeWatch.LabNbdPort;
    public const int ReplicaPort = 9502;

    /// <summary>Longhorn's default <c>engine-replica-timeout</c> (8 s): how long the engine waits for a replica before failing it.</summary>
    public static readonly TimeSpan ReplicaTimeout = TimeSpan.FromSeconds(8);

    /// <summary>
    /// A Longhorn-style volume: Longhorn's custom resource definitions (volumes, engines, replicas), one replica pod per
    /// server, the engine pod on the first server serving the volume over NBD, and the objects the engine publishes its
    /// state in. Waits until the volume is healthy.
    /// </summary>
    private async Task ApplyStorageAsync(KubeClient client, CancellationToken cancellationToken)
    {
        var servers = inventory.Servers.ToList();
        var engineNode = servers[0];
        Report($"Storage: volume '{VolumeName}' ({VolumeSize >> 20} MiB), {servers.Count} replicas, engine on '{engineNode.Name}'");
        var yaml = new StringBuilder();
        yaml.Append("apiVersion: v1\nkind: Namespace\nmetadata: { name: longhorn-system }\n");
        foreach (var (plural, kind) in new[] { ("volumes", "Volume"), ("engines", "Engine"), ("replicas", "Replica") })
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {"{"} name: {plural}.longhorn.io {"}"}
                spec:
                  group: longhorn.io
                  scope: Namespaced
                  names: {"{"} plural: {plural}, singular: {kind.ToLowerInvariant()}, kind: {kind} {"}"}
                  versions:
                    - name: v1beta2
                      served: true
                      storage: true
                      schema: {"{"} openAPIV3Schema: {"{"} type: object, x-kubernetes-preserve-unknown-fields: true {"}"} {"}"}

                """);
        }

        var replicaArgs = string.Join(", ", servers.Select(s => $"\"--replica\", \"{VolumeName}-r-{s.Name}={s.Name}@{s.Address}:{ReplicaPort}\""));
        yaml.Append(CultureInfo.InvariantCulture, $"""
            ---
            apiVersion: longhorn.io/v1beta2
            kind: Volume
            metadata: {"{"} name: {VolumeName}, namespace: longhorn-system {"}"}
            spec: {"{"} size: "{VolumeSize}", numberOfReplicas: {servers.Count}, frontend: blockdev, nodeID: {engineNode.Name}, dataEngine: v1 {"}"}
            ---
            apiVersion: longhorn.io/v1beta2
            kind: Engine
            metadata: {"{"} name: {VolumeName}-e-0, namespace: longhorn-system {"}"}
            spec: {"{"} volumeName: {VolumeName}, nodeID: {engineNode.Name}, replicaTimeout: {(int)ReplicaTimeout.TotalSeconds} {"}"}

            """);
        foreach (var server in servers)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: longhorn.io/v1beta2
                kind: Replica
                metadata: {"{"} name: {VolumeName}-r-{server.Name}, namespace: longhorn-system {"}"}
                spec: {"{"} volumeName: {VolumeName}, nodeID: {server.Name}, dataPath: /var/lib/rancher/longhorn/replicas {"}"}

                """);
        }

        yaml.Append(CultureInfo.InvariantCulture, $"""
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"} name: longhorn-replica, namespace: longhorn-system, labels: {"{"} app: longhorn-replica {"}"} {"}"}
            spec:
              replicas: {servers.Count}
              selector: {"{"} matchLabels: {"{"} app: longhorn-replica {"}"} {"}"}
              template:
                metadata: {"{"} labels: {"{"} app: longhorn-replica {"}"} {"}"}
                spec:
                  hostNetwork: true
                  # One replica per server, the nodes the volume names: never on an agent, which the volume does not know.
                  nodeSelector: {"{"} node-role.kubernetes.io/control-plane: "true" {"}"}
                  affinity:
                    podAntiAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        - {"{"} labelSelector: {"{"} matchLabels: {"{"} app: longhorn-replica {"}"} {"}"}, topologyKey: kubernetes.io/hostname {"}"}
                  containers:
                    - name: replica
                      image: chaosedge/longhorn-replica
                      command: ["/usr/local/bin/k3s", "longhorn-replica", "--listen", "$(POD_IP):{ReplicaPort}", "--data", "/var/lib/rancher/longhorn/replicas"]
                      readinessProbe: {"{"} tcpSocket: {"{"} port: {ReplicaPort} {"}"}, periodSeconds: 2 {"}"}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"} name: longhorn-engine-{VolumeName}, namespace: longhorn-system, labels: {"{"} app: longhorn-engine {"}"} {"}"}
            spec:
              replicas: 1
              selector: {"{"} matchLabels: {"{"} app: longhorn-engine {"}"} {"}"}
              template:
                metadata: {"{"} labels: {"{"} app: longhorn-engine {"}"} {"}"}
                spec:
                  hostNetwork: true
                  nodeSelector: {"{"} kubernetes.io/hostname: {engineNode.Name} {"}"}
                  containers:
                    - name: engine
                      image: chaosedge/longhorn-engine
                      command: ["/usr/local/bin/k3s", "longhorn-engine", "--volume", "{VolumeName}", "--size", "{VolumeSize}", "--node", "{engineNode.Name}", {replicaArgs},
                        "--timeout", "{(int)ReplicaTimeout.TotalSeconds}s", "--nbd", "$(POD_IP):{NbdPort}", "--state", "/var/lib/rancher/longhorn",
                        "--api", "https://{Vip}:{inventory.ControlPlane.Port}", "--ca", "{ServerCaPath}", "--token-file", "/var/lib/rancher/k3s/server/admin.token"]
                      readinessProbe: {"{"} tcpSocket: {"{"} port: {NbdPort} {"}"}, periodSeconds: 2 {"}"}

            """);
        await Executor.ApplyObjectsAsync(client, ManifestYaml.Parse(yaml.ToString(), "lab storage"), cancellationToken).ConfigureAwait(false);
        await Storage.LonghornState.WaitAsync(client, VolumeName, s => s.Robustness == "healthy", TimeSpan.FromMinutes(2), options.TimeProvider, cancellationToken).ConfigureAwait(false);
        // The volume's recorded health can predate a reboot of the engine's node (provisioning right after a power-on):
        // its block device is there when the engine's port answers.
        await Executor.WaitForTcpAsync($"The engine of volume '{VolumeName}' on node '{engineNode.Name}'", engineNode.Address, NbdPort, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        await WarmUpVolumeAsync(engineNode.Address, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes to the new volume until its write path is warm. The lab's engine and replicas are .NET processes started
    /// moments before, whose code runs unoptimised until it has been called often enough: the first storage scenario
    /// after provisioning measured a baseline write p50 of 0.7-1.3 s (a queue behind slow first writes) against 5-10 ms
    /// in every later one, and 7.6 ms once 15 s of fio writes had gone before. Longhorn's engine is compiled ahead of
    /// time; this start-up cost is the lab's, not the volume's. Synced 4 KiB writes, one at a time, to a region the I/O
    /// probe does not use, until 50 in a row take under 5 ms each (at most 2000 writes); the figures go to the log.
    /// </summary>
    private async Task WarmUpVolumeAsync(System.Net.IPAddress engine, CancellationToken cancellationToken)
    {
        const long Region = 32L << 20;
        var time = options.TimeProvider;
        var started = time.GetTimestamp();
        var block = new byte[Storage.ProbeBlock.Size];
        var first = new List<double>();
        int writes = 0, fast = 0;
        await using var nbd = await Storage.NbdClient.ConnectAsync(new System.Net.IPEndPoint(engine, NbdPort), VolumeName, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        while (fast < 50 && writes < 2000)
        {
            var sent = time.GetTimestamp();
            await nbd.WriteAsync(Region + ((writes % 256) * (long)block.Length), block, fua: true).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var ms = time.GetElapsedTime(sent).TotalMilliseconds;
            if (first.Count < 50)
            {
                first.Add(ms);
            }

            fast = ms < 5 ? fast + 1 : 0;
            writes++;
        }

        first.Sort();
        Report(string.Create(CultureInfo.InvariantCulture, $"Storage: write path warmed in {time.GetElapsedTime(started).TotalSeconds:0.0} s, {writes} writes (first 50: p50 {first[first.Count / 2]:0.0} ms, max {first[^1]:0.0} ms; then 50 in a row under 5 ms)"));
    }
}
