using System.Net;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.K3s;
using ChaosEdge.Ssh;

namespace ChaosEdge.Provision.Cluster;

public sealed partial class ClusterProvisioner
{
    /// <summary>
    /// keepalived (VRRP) on every server, holding the control-plane VIP where the local API server is live: it tracks the
    /// file the node runtime keeps its API server's state in (<see cref="Health.ApiServerHealthFile"/>), read when it
    /// changes, instead of a curl every second on every server, which was most of an idle lab's process starts.
    /// </summary>
    private async Task ConfigureVipAsync(CancellationToken cancellationToken)
    {
        if (KubeVip)
        {
            Report($"Control-plane VIP {Vip}: kube-vip on {inventory.Servers.Count()} servers (lease {Seconds(inventory.K3s!.KubeVip.LeaseDuration)} s / {Seconds(inventory.K3s.KubeVip.RenewDeadline)} s / {Seconds(inventory.K3s.KubeVip.RetryPeriod)} s)");
            foreach (var server in inventory.Servers)
            {
                var removed = await Shell(server).RunAsync("test -e /etc/systemd/system/keepalived.service && systemctl disable --now keepalived && rm -f /etc/systemd/system/keepalived.service /etc/keepalived/keepalived.conf && systemctl daemon-reload", cancellationToken: cancellationToken).ConfigureAwait(false);
                if (removed.Succeeded)
                {
                    Changed($"Node '{server.Name}': removed keepalived for the control-plane VIP (kube-vip holds it now).");
                }
            }

            await Executor.WaitForTcpAsync($"The control-plane VIP {Vip} (held by kube-vip)", Vip, inventory.ControlPlane.Port, TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
            return;
        }

        Report($"Control-plane VIP {Vip}: keepalived on {inventory.Servers.Count()} servers");
        await EnsureVrrpAsync("keepalived", "/etc/keepalived/keepalived.conf", "k3s_api", 51, Vip, trackApi: true, cancellationToken).ConfigureAwait(false);
        await Executor.WaitForTcpAsync($"The control-plane VIP {Vip}", Vip, inventory.ControlPlane.Port, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether kube-vip holds the control-plane VIP (the inventory's <c>k3s.vip</c>), rather than keepalived.</summary>
    private bool KubeVip => inventory.K3s?.Vip == VipProvider.KubeVip;

    /// <summary>The kube-vip manifest in K3s's auto-deploy directory on every server.</summary>
    public const string KubeVipManifest = K3sManifests.ManifestsDirectory + "/chaosedge-kube-vip.yaml";

    /// <summary>
    /// What K3s's auto-deploy directory should hold on every server: with kube-vip, the very manifest the K3s plan writes
    /// there on hardware (<see cref="K3sManifests.KubeVip"/>), which the lab's node runtime applies as K3s does and whose
    /// kube-vip container the lab's kubelet runs as its model of kube-vip. Checked before anything is written: a manifest
    /// the lab cannot run is an error naming it.
    /// </summary>
    private async Task WriteAutoDeployManifestsAsync(CancellationToken cancellationToken)
    {
        if (!KubeVip)
        {
            foreach (var server in inventory.Servers)
            {
                await Shell(server).RunAsync($"rm -f {KubeVipManifest}", cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var manifest = new K3sManifests(inventory).KubeVip();
        if (LabImages.Problems(ManifestYaml.Parse(manifest, KubeVipManifest), KubeVipManifest) is { Count: > 0 } problems)
        {
            throw new ProvisionStepException("kube-vip manifest", null, string.Join(" ", problems));
        }

        foreach (var server in inventory.Servers)
        {
            await EnsureFileAsync(server, KubeVipManifest, manifest, (UnixFileMode)0b110_100_100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A second keepalived instance announcing the LoadBalancer address (gratuitous ARP on takeover), as MetalLB's L2 speaker does.</summary>
    private async Task ConfigureServiceVipAsync(IPAddress serviceVip, CancellationToken cancellationToken)
    {
        if (MetalLb)
        {
            foreach (var server in inventory.Servers)
            {
                var removed = await Shell(server).RunAsync("test -e /etc/systemd/system/keepalived-services.service && systemctl disable --now keepalived-services && rm -f /etc/systemd/system/keepalived-services.service /etc/keepalived/services.conf && systemctl daemon-reload", cancellationToken: cancellationToken).ConfigureAwait(false);
                if (removed.Succeeded)
                {
                    Changed($"Node '{server.Name}': removed keepalived for the service VIP (MetalLB announces it now).");
                }
            }

            return;
        }

        Report($"Service VIP {serviceVip}: keepalived-services on {inventory.Servers.Count()} servers");
        await EnsureVrrpAsync("keepalived-services", "/etc/keepalived/services.conf", "edge_services", 52, serviceVip, trackApi: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One keepalived unit per server for one VIP; priorities fall by 10 from the first server on.</summary>
    private async Task EnsureVrrpAsync(string unit, string config, string instance, int routerId, IPAddress vip, bool trackApi, CancellationToken cancellationToken)
    {
        var index = 0;
        foreach (var server in inventory.Servers)
        {
            var text = KeepalivedConfig(server, instance, routerId, vip, index++, trackApi);
            var configChanged = await EnsureFileAsync(server, config, text, (UnixFileMode)0b110_100_100, cancellationToken).ConfigureAwait(false);
            var exec = $"/usr/sbin/keepalived --dont-fork --log-console --vrrp --use-file={config} --pid=/run/{unit}.pid --vrrp_pid=/run/{unit}-vrrp.pid";
            // KillMode=process, as Debian's keepalived.service: the parent stops its VRRP child, which gives the VIP up
            // cleanly (a TERM to the whole group let the child die before removing the VIP now and then).
            var restarted = await EnsureServiceAsync(server, unit, exec, null, cancellationToken, killMode: "process").ConfigureAwait(false);
            if (configChanged && !restarted)
            {
                await Shell(server).RunCheckedAsync($"systemctl restart {unit}", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string KeepalivedConfig(NodeSpec server, string instance, int routerId, IPAddress vip, int index, bool trackApi)
    {
        var settings = inventory.Cluster.Keepalived;
        var prefix = inventory.Subnet.PrefixLength;
        var track = trackApi ? $$"""

            track_file chk_apiserver {
                file "{{Health.ApiServerHealthFile.Path}}"
                weight 0
                init_file {{Health.ApiServerHealthFile.Down}}
            }
            """ : string.Empty;
        return $$"""
            # keepalived for '{{instance}}' on node '{{server.Name}}', written by 'chaosedge provision'.
            global_defs {
                router_id {{server.Name}}
                script_user root
                enable_script_security
            }
            {{track}}
            vrrp_instance {{instance}} {
                state BACKUP
                interface {{server.Interface}}
                virtual_router_id {{routerId}}
                priority {{Math.Max(1, settings.Priority - (10 * index))}}
                advert_int {{settings.AdvertInterval}}
                {{(settings.Preempt ? string.Empty : "nopreempt")}}
                virtual_ipaddress {
                    {{vip}}/{{prefix}} dev {{server.Interface}}
                }
                {{(trackApi ? "track_file {\n        chk_apiserver\n    }" : string.Empty)}}
            }

            """;
    }

    private async Task<KubeConfig> WriteKubeconfigAsync(CancellationToken cancellationToken)
    {
        var ca = (await Shell(First).RunCheckedAsync($"cat {ServerCaPath}", cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout;
        var token = (await Shell(First).RunCheckedAsync("cat /var/lib/rancher/k3s/server/admin.token", new NodeCommandOptions { ReadsSecret = true }, cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout.Trim();
        Secrets.SecretRedactor.Register(token);
        var config = new KubeConfig(new Uri($"https://{Vip}:{inventory.ControlPlane.Port}"), ca, token);
        var before = File.Exists(KubeconfigPath) ? await File.ReadAllTextAsync(KubeconfigPath, cancellationToken).ConfigureAwait(false) : null;
        config.Write(KubeconfigPath, inventory.ClusterName);
        if (before != await File.ReadAllTextAsync(KubeconfigPath, cancellationToken).ConfigureAwait(false))
        {
            Changed($"Wrote kubeconfig '{KubeconfigPath}' (server https://{Vip}:{inventory.ControlPlane.Port}, CA verified, mode 0600).");
        }

        return config;
    }
}
