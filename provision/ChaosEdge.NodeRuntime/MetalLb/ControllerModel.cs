using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.MetalLb;

/// <summary>
/// The lab's model of MetalLB's controller (<c>quay.io/metallb/controller</c>): gives every LoadBalancer service
/// without an address one from the <c>IPAddressPool</c>s — the address it asks for
/// (<c>metallb.universe.tf/loadBalancerIPs</c> or <c>spec.loadBalancerIP</c>) when a pool holds it and it is free, else
/// the first free address of the first pool with <c>autoAssign</c> (default true), pools in name order — and writes it
/// to <c>status.loadBalancer.ingress</c>, where <c>kubectl get svc</c> shows it. Addresses are not announced here: the
/// speakers do that.
/// </summary>
internal sealed class ControllerModel(KubeClient client, string ns, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var services = new KubeInformer(client, ResourcePath.Services.For(), logger);
        var pools = new KubeInformer(client, new ResourcePath("metallb.io", "v1beta1", "ipaddresspools").For(ns), logger);
        using var wake = new SemaphoreSlim(0);
        services.Changed += _ => wake.Release();
        pools.Changed += _ => wake.Release();
        var loops = new[] { services.RunAsync(cancellationToken: cancellationToken), pools.RunAsync(cancellationToken: cancellationToken) };
        logger.LogInformation("MetalLB controller model: assigning LoadBalancer addresses from the IPAddressPools in '{Namespace}'.", ns);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await wake.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                await AssignAsync(services.Items, pools.Items, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException)
            {
                logger.LogWarning("Assigning addresses failed: {Error}", e.Message);
            }
        }

        await Task.WhenAll(loops).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async Task AssignAsync(IReadOnlyCollection<JsonObject> services, IReadOnlyCollection<JsonObject> pools, CancellationToken cancellationToken)
    {
        var used = services.SelectMany(s => (s["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => (string?)i?["ip"])).OfType<string>().Select(IPAddress.Parse).ToHashSet();
        var ordered = pools.OrderBy(p => p.Name(), StringComparer.Ordinal).ToList();
        foreach (var service in services.Where(s => s.Text("spec.type") == "LoadBalancer" && (s["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Count == 0))
        {
            var requested = (string?)service["metadata"]?["annotations"]?["metallb.universe.tf/loadBalancerIPs"] ?? service.Text("spec.loadBalancerIP");
            IPAddress? address = null;
            if (!string.IsNullOrEmpty(requested) && IPAddress.TryParse(requested, out var wanted) && !used.Contains(wanted) && ordered.Any(p => AddressPool.Addresses(p).Contains(wanted)))
            {
                address = wanted;
            }
            else if (string.IsNullOrEmpty(requested))
            {
                address = ordered.Where(p => (bool?)p["spec"]?["autoAssign"] != false).SelectMany(AddressPool.Addresses).FirstOrDefault(a => !used.Contains(a));
            }

            if (address is null)
            {
                continue;
            }

            used.Add(address);
            await client.PatchAsync(ResourcePath.Services.For(service.Namespace(), service.Name(), "status"), new JsonObject
            {
                ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = address.ToString(), ["ipMode"] = "VIP" }) } },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Service '{Namespace}/{Service}' got address {Address} (MetalLB).", service.Namespace(), service.Name(), address);
        }
    }
}

/// <summary>An <c>IPAddressPool</c>'s addresses: <c>spec.addresses</c> entries as CIDRs or <c>first-last</c> ranges (IPv4).</summary>
internal static class AddressPool
{
    public static IEnumerable<IPAddress> Addresses(JsonObject pool)
    {
        foreach (var entry in (pool["spec"]?["addresses"] as JsonArray ?? []).Select(a => (string?)a).OfType<string>())
        {
            if (entry.Split('-', 2) is [var first, var last] && IPAddress.TryParse(first.Trim(), out var from) && IPAddress.TryParse(last.Trim(), out var to))
            {
                for (var n = Number(from); n <= Number(to); n++)
                {
                    yield return Address(n);
                }
            }
            else if (IPNetwork.TryParse(entry.Trim(), out var network) && network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                var size = 1u << (32 - network.PrefixLength);
                for (var i = 0u; i < size; i++)
                {
                    yield return Address(Number(network.BaseAddress) + i);
                }
            }
        }
    }

    private static uint Number(IPAddress address) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress Address(uint number)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, number);
        return new IPAddress(bytes);
    }
}
