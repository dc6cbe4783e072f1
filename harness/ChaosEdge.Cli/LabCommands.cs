using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Provision.VirtualLab;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge lab up|down|status</c>: the built-in virtual lab.</summary>
internal static class LabCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // Fingerprints contain '+' and '/'; print them as ssh-keygen does.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var name = new Option<string>("--name")
        {
            Description = $"Lab name, 1–{LabNames.MaxNameLength} lower-case letters and digits.",
            DefaultValueFactory = _ => LabNames.DefaultName,
        };
        var nodes = new Option<int>("--nodes")
        {
            Description = $"Number of nodes, 1–{LabNames.MaxNodes}.",
            DefaultValueFactory = _ => 3,
        };
        var nodeNames = new Option<string?>("--node-names")
        {
            Description = "The nodes' names, comma-separated (default edge-1…edge-N); the first three are servers. Copies a site's naming, e.g. n100-1,n100-2,n100-3.",
        };
        var agents = new Option<int?>("--agents")
        {
            Description = "Agents (workers) after the 3 servers: --agents 2 is a lab of 5 nodes, the same as --nodes 5.",
        };
        var loadBalancers = new Option<int>("--lb-nodes")
        {
            Description = "Dedicated load-balancer nodes after the cluster's (keepalived + HAProxy in front of the API servers, no K3s; with --k3s --vip keepalived): --lb-nodes 2 adds lb-1 and lb-2, or takes the last 2 of --node-names.",
        };
        var etcdNodes = new Option<int>("--etcd-nodes")
        {
            Description = "An external etcd cluster of N nodes (etcd-1…) as the K3s servers' datastore (--datastore-endpoint), with --k3s: real etcd with TLS, installed by the K3s plan; they come after the cluster's nodes and before the load balancers.",
        };
        var nodeInterface = new Option<string>("--interface")
        {
            Description = "Each node's network interface name, e.g. enp1s0.",
            DefaultValueFactory = _ => LabShape.DefaultInterface,
        };
        var vip = new Option<string>("--vip")
        {
            Description = "What holds the control-plane VIP: keepalived (VRRP) or kube-vip (ARP, leader election on a Lease; the K3s plan's own manifest).",
            DefaultValueFactory = _ => "keepalived",
        };
        vip.AcceptOnlyFromAmong("keepalived", "kube-vip");
        var kubeVipTimings = new Option<string?>("--kube-vip-timings")
        {
            Description = "kube-vip's leaseDuration/renewDeadline/retryPeriod, e.g. 15s/10s/2s (default kube-vip's own, 5s/3s/1s).",
        };
        var k3s = new Option<bool>("--k3s")
        {
            Description = "Run the lab's K3s on the nodes, installed by the K3s plan itself (a 'runtime: k3s' inventory and an artifacts directory of the lab's k3s, install.sh and manifests with checksums); the VIP on kube-vip.",
        };
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var provision = new Option<bool>("--provision") { Description = "Also provision the HA cluster on the lab (as 'chaosedge provision -i <lab inventory>')." };

        var up = new Command("up", "Build the virtual lab (needs root): namespaces on one bridge, an sshd per node, and its inventory.") { name, nodes, agents, loadBalancers, etcdNodes, nodeNames, nodeInterface, vip, kubeVipTimings, k3s, provision };
        up.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var lab = new VirtualLab(parse.GetValue(name)!);
            var shape = Shape(parse.GetValue(nodeNames), parse.GetResult(nodes) is { Implicit: false } ? parse.GetValue(nodes) : null, parse.GetValue(agents), parse.GetValue(etcdNodes), parse.GetValue(loadBalancers), parse.GetValue(nodeInterface)!)
                with
                {
                    // The lab's K3s takes kube-vip unless told otherwise (and refuses keepalived, saying why).
                    ControlPlaneVip = parse.GetValue(vip) == "kube-vip" || (parse.GetValue(k3s) && parse.GetResult(vip) is null or { Implicit: true }) ? Inventory.VipProvider.KubeVip : Inventory.VipProvider.Keepalived,
                    KubeVip = Timings(parse.GetValue(kubeVipTimings)),
                    K3sRuntime = parse.GetValue(k3s),
                };
            if (parse.GetValue(kubeVipTimings) is not null && shape.ControlPlaneVip != Inventory.VipProvider.KubeVip)
            {
                throw new Errors.ChaosEdgeException("--kube-vip-timings is for --vip kube-vip.");
            }

            var result = await lab.UpAsync(shape, Output.Progress(), token);
            PrintStatus(result.Status);
            if (parse.GetValue(provision))
            {
                await ProvisionCommand.RunAsync(Inventory.InventoryLoader.Load(lab.InventoryPath), null, token);
            }

            return Output.Success;
        }));

        var down = new Command("down", "Remove the virtual lab and everything it made (needs root); also cleans up after a crashed 'up'.") { name };
        down.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            await new VirtualLab(parse.GetValue(name)!).DownAsync(Output.Progress(), token);
            return Output.Success;
        }));

        var status = new Command("status", "Show the virtual lab's nodes, addresses, reserved VIPs and paths.") { name, json };
        status.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var result = await new VirtualLab(parse.GetValue(name)!).StatusAsync(token);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, Json));
            }
            else
            {
                PrintStatus(result);
            }

            return result.Exists && result.Healthy ? Output.Success : Output.CouldNotComplete;
        }));

        // Started detached by 'lab up': the lab's power switch and Redfish service, until 'lab down'.
        var bmcServe = new Command("bmc-serve", "Serve the lab's BMCs (Redfish, and the power switch of its IPMI BMCs); started by 'lab up'.") { name };
        bmcServe.Hidden = true;
        bmcServe.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            await LabBmcServer.RunAsync(parse.GetValue(name)!, token);
            return Output.Success;
        }));

        return new Command("lab", "The built-in virtual lab: a cluster's machines as network namespaces on this host.") { up, down, status, bmcServe };
    }

    /// <summary>
    /// The lab's shape from the options: names given, or <c>--nodes</c> default names; with <c>--agents N</c> the count is
    /// 3 servers + N. Whatever is given must agree in count. <paramref name="loadBalancers"/> nodes follow the cluster's:
    /// <c>lb-1</c>… by default, the last names of <paramref name="names"/> when given.
    /// </summary>
    private static LabShape Shape(string? names, int? count, int? agents, int etcd, int loadBalancers, string nodeInterface)
    {
        if (etcd < 0)
        {
            throw new Errors.ChaosEdgeException($"--etcd-nodes {etcd} is invalid: give 0 or more etcd nodes.");
        }

        if (loadBalancers < 0)
        {
            throw new Errors.ChaosEdgeException($"--lb-nodes {loadBalancers} is invalid: give 0 or more load-balancer nodes.");
        }

        if (loadBalancers > 0 || etcd > 0)
        {
            var extra = etcd + loadBalancers;
            var cluster = Shape(names is null ? null : string.Join(',', names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).SkipLast(extra)), count, agents, 0, 0, nodeInterface);
            var added = names is null
                ? Enumerable.Range(1, etcd).Select(i => $"etcd-{i}").Concat(Enumerable.Range(1, loadBalancers).Select(i => $"lb-{i}"))
                : names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).TakeLast(extra);
            return cluster with { NodeNames = [.. cluster.NodeNames, .. added], EtcdNodes = etcd, LoadBalancers = loadBalancers };
        }

        if (agents is { } wanted)
        {
            if (wanted < 0)
            {
                throw new Errors.ChaosEdgeException($"--agents {wanted} is invalid: give 0 or more agents.");
            }

            var total = 3 + wanted;
            if (count is { } n && n != total)
            {
                throw new Errors.ChaosEdgeException($"--nodes {n} and --agents {wanted} disagree: the first three nodes are servers, so {wanted} agent(s) make {total} nodes; give one of them.");
            }

            count = total;
        }

        if (names is null)
        {
            return LabShape.Default(count ?? 3) with { Interface = nodeInterface };
        }

        var list = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (count is { } c && c != list.Length)
        {
            throw new Errors.ChaosEdgeException(agents is null
                ? $"--nodes {c} and --node-names with {list.Length} names disagree; give one of them."
                : $"--agents {agents} needs {c} node names (3 servers, then the agents); --node-names gives {list.Length}.");
        }

        return new LabShape(list, nodeInterface);
    }

    /// <summary><c>15s/10s/2s</c> as kube-vip's timings; kube-vip's own defaults when not given.</summary>
    private static Inventory.KubeVipSettings Timings(string? text)
    {
        if (text is null)
        {
            return Inventory.KubeVipSettings.Default;
        }

        var parts = text.Split('/');
        var values = parts.Select(p => Inventory.ValueParsers.TryParseDuration(p.Trim(), out var d) ? d : (TimeSpan?)null).ToList();
        if (values.Count != 3 || values.Any(v => v is null))
        {
            throw new Errors.ChaosEdgeException($"--kube-vip-timings '{text}' is not leaseDuration/renewDeadline/retryPeriod, such as 15s/10s/2s.");
        }

        return Inventory.KubeVipSettings.Default with { LeaseDuration = values[0]!.Value, RenewDeadline = values[1]!.Value, RetryPeriod = values[2]!.Value };
    }

    private static void PrintStatus(LabStatus status)
    {
        if (status.State is not { } state)
        {
            Console.WriteLine($"Lab '{status.Name}' does not exist. Build it with: chaosedge lab up --name {status.Name}");
            return;
        }

        Console.WriteLine($"Lab '{status.Name}': {(status.Healthy ? "up" : "NOT HEALTHY")}");
        Console.WriteLine($"  subnet          {state.Subnet} (harness {state.HarnessAddress} on bridge '{state.Bridge}')");
        Console.WriteLine($"  control-plane   {state.ControlPlaneVip} (reserved)");
        Console.WriteLine($"  service VIPs    {state.ServiceVipPool[0]}-{state.ServiceVipPool[^1]} (reserved)");
        Console.WriteLine($"  BMC network     {state.ManagementSubnet}: IPMI (UDP 623) and Redfish (HTTPS) for every node at {state.Nodes[0].ReservedBmcAddress}, …");
        Console.WriteLine("  nodes:");
        foreach (var node in status.Nodes)
        {
            var processes = node.Processes.ToString(CultureInfo.InvariantCulture);
            Console.WriteLine($"    {node.Name,-8} {node.Address,-15} ssh {(node.SshAnswers ? "up" : "DOWN"),-5} processes {processes}");
        }

        Console.WriteLine($"  inventory       {status.InventoryPath}");
        Console.WriteLine($"  ssh key         {status.PrivateKeyPath}");
        var cluster = status.Cluster;
        Console.WriteLine(cluster switch
        {
            { Provisioned: false } => $"  cluster         not provisioned (chaosedge provision --inventory {status.InventoryPath})",
            { Healthy: true } => "  cluster         provisioned, healthy",
            _ => $"  cluster         provisioned, NOT HEALTHY: {cluster.Problem}",
        });
        if (cluster.KubeconfigPath is { } kubeconfig)
        {
            Console.WriteLine($"  kubeconfig      {kubeconfig}");
        }

        Console.WriteLine($"  try             chaosedge exec --inventory {status.InventoryPath} --node {state.Nodes[0].Name} -- hostname");
    }
}
