using System.Globalization;
using System.Net;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// The k3s-shaped command line: <c>server [--cluster-init | --server URL] --token T --node-name N --node-ip IP
/// --tls-san VIP</c> or <c>agent --server URL --token T …</c>, plus K3s's pass-through component flags
/// (<c>--kube-controller-manager-arg node-monitor-grace-period=40s</c>), after the flags of K3s's configuration file
/// (<see cref="K3sConfigFile"/>). The token can come from <c>K3S_TOKEN</c>, <c>--token</c> or <c>--token-file</c>.
/// </summary>
internal sealed class RuntimeOptions
{
    public bool IsServer { get; private set; }
    public bool ClusterInit { get; private set; }
    public Uri? ServerUrl { get; private set; }

    /// <summary>K3s's <c>--datastore-endpoint</c>: an external etcd cluster's client URLs; empty for the embedded etcd.</summary>
    public List<Uri> DatastoreEndpoints { get; } = [];

    /// <summary><c>--datastore-cafile</c>, <c>--datastore-certfile</c>, <c>--datastore-keyfile</c>: the external etcd's CA and this server's client certificate and key.</summary>
    public string? DatastoreCaFile { get; private set; }

    public string? DatastoreCertFile { get; private set; }

    public string? DatastoreKeyFile { get; private set; }

    /// <summary>Whether this server keeps the cluster in an external etcd (and runs no member of its own).</summary>
    public bool ExternalDatastore => DatastoreEndpoints.Count > 0;
    public string Token { get; private set; } = string.Empty;
    public string NodeName { get; private set; } = Environment.MachineName;
    public IPAddress NodeIp { get; private set; } = IPAddress.Loopback;
    public List<string> TlsSans { get; } = [];
    public string DataDir { get; private set; } = "/var/lib/rancher/k3s";
    public string KubeconfigPath { get; private set; } = "/etc/rancher/k3s/k3s.yaml";
    public IPAddress ClusterDns { get; private set; } = IPAddress.Parse("198.19.0.10");
    public IPNetwork ServiceCidr { get; private set; } = IPNetwork.Parse("198.19.0.0/16");
    public string ClusterDomain { get; private set; } = "cluster.local";
    public List<IPAddress> ServiceVipPool { get; } = [];
    public int HttpsPort { get; private set; } = 6443;

    // kube-controller-manager
    public TimeSpan NodeMonitorGracePeriod { get; private set; } = TimeSpan.FromSeconds(40);
    public TimeSpan NodeMonitorPeriod { get; private set; } = TimeSpan.FromSeconds(5);
    public TimeSpan LeaderElectLeaseDuration { get; private set; } = TimeSpan.FromSeconds(15);
    public TimeSpan LeaderElectRenewDeadline { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan LeaderElectRetryPeriod { get; private set; } = TimeSpan.FromSeconds(2);

    // kube-apiserver (DefaultTolerationSeconds admission)
    public int DefaultNotReadyTolerationSeconds { get; private set; } = 300;
    public int DefaultUnreachableTolerationSeconds { get; private set; } = 300;

    // kubelet
    public int NodeLeaseDurationSeconds { get; private set; } = 40;
    public TimeSpan NodeStatusUpdateFrequency { get; private set; } = TimeSpan.FromSeconds(10);

    // etcd, as K3s sets it
    public int EtcdHeartbeatIntervalMs { get; private set; } = 500;
    public int EtcdElectionTimeoutMs { get; private set; } = 5000;

    public string ServerDir => Path.Combine(DataDir, "server");
    public string TlsDir => Path.Combine(ServerDir, "tls");
    public string EtcdDataDir => Path.Combine(ServerDir, "db", "etcd");
    public string PodsDir => Path.Combine(DataDir, "agent", "pods");

    /// <summary>K3s's configuration file (<c>--config</c>, <c>K3S_CONFIG_FILE</c>), read with its drop-ins before the command line.</summary>
    public string ConfigPath { get; private set; } = K3sConfigFile.DefaultPath;

    /// <summary>The mode the admin kubeconfig is written with (<c>write-kubeconfig-mode</c>; K3s's default 0600).</summary>
    public UnixFileMode KubeconfigMode { get; private set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The packaged components K3s would deploy that the configuration disables; the lab deploys none of them.</summary>
    public static readonly string[] PackagedComponents = ["coredns", "servicelb", "traefik", "local-storage", "metrics-server", "runtimes"];

    public static RuntimeOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is not ("server" or "agent"))
        {
            throw new ArgumentException("usage: k3s server|agent [flags] (flags also from /etc/rancher/k3s/config.yaml), k3s kubectl …, k3s --version");
        }

        var options = new RuntimeOptions { IsServer = args[0] == "server", Token = Environment.GetEnvironmentVariable("K3S_TOKEN") ?? string.Empty };
        var commandLine = args.Skip(1).ToList();
        var configIndex = commandLine.FindIndex(a => a is "--config" or "-c");
        options.ConfigPath = configIndex >= 0 && configIndex + 1 < commandLine.Count ? commandLine[configIndex + 1]
            : commandLine.FirstOrDefault(a => a.StartsWith("--config=", StringComparison.Ordinal))?["--config=".Length..]
            ?? (Environment.GetEnvironmentVariable("K3S_CONFIG_FILE") is { Length: > 0 } env ? env : K3sConfigFile.DefaultPath);
        var all = K3sConfigFile.Flags(options.ConfigPath).Concat(commandLine.Select(a => (Flag: a, Origin: "the command line"))).ToList();
        string? tokenFile = null;
        for (var i = 0; i < all.Count; i++)
        {
            var (arg, origin) = all[i];
            string? inline = null;
            if (arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 && arg.StartsWith("--", StringComparison.Ordinal))
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value() => inline ?? (i + 1 < all.Count && all[i + 1].Origin == origin ? all[++i].Flag : throw new ArgumentException($"Flag '{arg}' needs a value ({origin})."));
            try
            {
                switch (arg)
                {
                    case "--config" or "-c": Value(); break;
                    case "--cluster-init": options.ClusterInit = true; break;
                    case "--server": options.ServerUrl = new Uri(Value()); break;
                    case "--datastore-endpoint":
                        foreach (var endpoint in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            var uri = new Uri(endpoint);
                            options.DatastoreEndpoints.Add(uri.Scheme is "https" or "http" ? uri
                                : throw new ArgumentException($"'{endpoint}' is not an etcd endpoint (https://HOST:2379); the lab's K3s takes etcd only, not K3s's SQL datastores."));
                        }

                        break;
                    case "--datastore-cafile": options.DatastoreCaFile = Value(); break;
                    case "--datastore-certfile": options.DatastoreCertFile = Value(); break;
                    case "--datastore-keyfile": options.DatastoreKeyFile = Value(); break;
                    case "--token": options.Token = Value(); break;
                    case "--token-file": tokenFile = Value(); break;
                    case "--node-name": options.NodeName = Value(); break;
                    case "--node-ip": options.NodeIp = IPAddress.Parse(Value()); break;
                    case "--tls-san": options.TlsSans.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                    case "--data-dir": options.DataDir = Value(); break;
                    case "--write-kubeconfig": options.KubeconfigPath = Value(); break;
                    case "--write-kubeconfig-mode": options.KubeconfigMode = (UnixFileMode)Convert.ToInt32(Value(), 8); break;
                    case "--cluster-dns": options.ClusterDns = IPAddress.Parse(Value()); break;
                    case "--service-cidr": options.ServiceCidr = IPNetwork.Parse(Value()); break;
                    case "--cluster-domain": options.ClusterDomain = Value(); break;
                    case "--https-listen-port": options.HttpsPort = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--service-lb-pool": options.ServiceVipPool.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse)); break;
                    case "--disable":
                        // The lab's runtime deploys none of K3s's packaged components, so disabling one changes nothing.
                        foreach (var component in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                        {
                            if (!PackagedComponents.Contains(component))
                            {
                                throw new ArgumentException($"'{component}' is not a component K3s packages ({string.Join(", ", PackagedComponents)}).");
                            }
                        }

                        break;
                    // The lab has no pod network (pods share their node's addresses): flannel's interface has nothing to select.
                    case "--flannel-iface": Value(); break;
                    case "--etcd-arg": options.Component("etcd", Value()); break;
                    case "--kube-controller-manager-arg": options.Component("kube-controller-manager", Value()); break;
                    case "--kube-apiserver-arg": options.Component("kube-apiserver", Value()); break;
                    case "--kubelet-arg": options.Component("kubelet", Value()); break;
                    default: throw new ArgumentException("the lab's node runtime does not know this flag.");
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or UriFormatException or ArgumentException && !e.Message.StartsWith("Flag '", StringComparison.Ordinal))
            {
                throw new ArgumentException($"{(origin == "the command line" ? "flag" : origin + ":")} '{arg}': {e.Message}", e);
            }
        }

        if (string.IsNullOrEmpty(options.Token) && tokenFile is not null)
        {
            options.Token = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : throw new ArgumentException($"The token file '{tokenFile}' does not exist.");
        }

        // A server rejoining (its etcd data wiped) after it first created the cluster was started with the bare
        // password; the secure token it wrote then verifies the server it joins now.
        var ownToken = Path.Combine(options.ServerDir, "token");
        if (options.ServerUrl is not null && !options.Token.StartsWith("K10", StringComparison.Ordinal) && File.Exists(ownToken))
        {
            options.Token = File.ReadAllText(ownToken).Trim();
        }

        if (string.IsNullOrEmpty(options.Token))
        {
            throw new ArgumentException("A token is required (--token or K3S_TOKEN).");
        }

        if (options.ExternalDatastore && (options.DatastoreCaFile is null || options.DatastoreCertFile is null || options.DatastoreKeyFile is null))
        {
            throw new ArgumentException("--datastore-endpoint needs --datastore-cafile, --datastore-certfile and --datastore-keyfile (the external etcd is reached with mutual TLS).");
        }

        if (!options.IsServer || !(options.ClusterInit || options.ExternalDatastore))
        {
            _ = options.ServerUrl ?? throw new ArgumentException("--server is required unless 'server --cluster-init' or 'server --datastore-endpoint'.");
        }

        return options;
    }

    private void Component(string component, string setting)
    {
        var eq = setting.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new ArgumentException($"--{component}-arg '{setting}' is not KEY=VALUE.");
        }

        var (key, value) = (setting[..eq].TrimStart('-'), setting[(eq + 1)..]);
        switch ($"{component}/{key}")
        {
            case "kube-controller-manager/node-monitor-grace-period": NodeMonitorGracePeriod = Duration(value); break;
            case "kube-controller-manager/node-monitor-period": NodeMonitorPeriod = Duration(value); break;
            case "kube-controller-manager/leader-elect-lease-duration": LeaderElectLeaseDuration = Duration(value); break;
            case "kube-controller-manager/leader-elect-renew-deadline": LeaderElectRenewDeadline = Duration(value); break;
            case "kube-controller-manager/leader-elect-retry-period": LeaderElectRetryPeriod = Duration(value); break;
            case "kube-apiserver/default-not-ready-toleration-seconds": DefaultNotReadyTolerationSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "kube-apiserver/default-unreachable-toleration-seconds": DefaultUnreachableTolerationSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "kubelet/node-lease-duration-seconds": NodeLeaseDurationSeconds = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "kubelet/node-status-update-frequency": NodeStatusUpdateFrequency = Duration(value); break;
            case "etcd/heartbeat-interval": EtcdHeartbeatIntervalMs = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "etcd/election-timeout": EtcdElectionTimeoutMs = int.Parse(value, CultureInfo.InvariantCulture); break;
            default: throw new ArgumentException($"--{component}-arg '{key}' is not supported by the lab's node runtime.");
        }
    }

    private static TimeSpan Duration(string text) =>
        ChaosEdge.Inventory.ValueParsers.TryParseDuration(text, out var value) ? value : throw new ArgumentException($"'{text}' is not a duration (such as 40s, 5m, 500ms).");
}
