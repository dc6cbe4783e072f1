using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Proxy;

/// <summary>
/// kube-proxy in nftables mode, in miniature: table <c>ip kube-proxy</c> DNATs each service's cluster IP (and its
/// load-balancer address) and port to its ready endpoints, chosen at random (<c>numgen random</c>); a service without
/// ready endpoints rejects. Forwarded service traffic (in and out on the node's interface, the one carrying its node IP)
/// is masqueraded so replies come back the same way. The table is
/// replaced in one nft transaction whenever services or endpoints change.
/// </summary>
internal sealed class KubeProxy(KubeClient client, string nodeInterface, ILogger logger)
{
    public const string Table = "kube-proxy";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var services = new KubeInformer(client, ResourcePath.Services.For(), logger);
        var endpoints = new KubeInformer(client, ResourcePath.Endpoints.For(), logger);
        var wake = new SemaphoreSlim(0);
        services.Changed += _ => wake.Release();
        endpoints.Changed += _ => wake.Release();
        var loops = new[] { services.RunAsync(cancellationToken: cancellationToken), endpoints.RunAsync(cancellationToken: cancellationToken) };
        string? applied = null;
        IReadOnlyList<Frontend> current = [];
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await wake.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                if (!services.Synced.IsCompleted || !endpoints.Synced.IsCompleted)
                {
                    continue;
                }

                var frontends = Frontends(services.Items, endpoints);
                var ruleset = Render(frontends, nodeInterface);
                if (ruleset != applied)
                {
                    await ApplyAsync(ruleset, cancellationToken).ConfigureAwait(false);
                    applied = ruleset;
                    foreach (var (address, port, endpoint) in StaleUdpFlows(current, frontends))
                    {
                        await ClearConntrackAsync(address, port, endpoint, cancellationToken).ConfigureAwait(false);
                    }

                    current = frontends;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("kube-proxy could not apply its rules: {Error}", e.Message);
            }
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>One service address and port, and the ready endpoints (address and port) it is balanced over.</summary>
    internal sealed record Frontend(string Service, string Address, string Protocol, string Port, IReadOnlyList<(string Ip, int Port)> Targets);

    internal static IReadOnlyList<Frontend> Frontends(IEnumerable<JsonObject> services, KubeInformer endpoints)
    {
        var frontends = new List<Frontend>();
        foreach (var service in services.OrderBy(s => s.Namespace(), StringComparer.Ordinal).ThenBy(s => s.Name(), StringComparer.Ordinal))
        {
            var clusterIp = service.Text("spec.clusterIP");
            if (clusterIp is null || !IsIPv4(clusterIp))
            {
                continue;
            }

            var addresses = new List<string> { clusterIp };
            addresses.AddRange((service["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => (string?)i?["ip"]).OfType<string>());
            var subsets = (endpoints.Get(service.Namespace(), service.Name())?["subsets"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            foreach (var port in (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var protocol = ((string?)port["protocol"] ?? "TCP").ToLowerInvariant();
                var name = (string?)port["name"];
                var targets = subsets
                    .SelectMany(s => (s["addresses"] as JsonArray ?? []).Select(a => (string?)a?["ip"]).OfType<string>()
                        .Select(ip => (ip, port: (s["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => (string?)p["name"] == name && ((string?)p["protocol"] ?? "TCP").Equals(protocol, StringComparison.OrdinalIgnoreCase))?["port"])))
                    .Where(t => t.port is not null).Select(t => (t.ip, port: (int)t.port!)).Distinct().OrderBy(t => t.ip, StringComparer.Ordinal).ToList();
                var label = $"{service.Namespace()}/{service.Name()}:{name ?? port["port"]?.ToString()}";
                frontends.AddRange(addresses.Select(address => new Frontend(label, address, protocol, port["port"]?.ToString() ?? "0", targets)));
            }
        }

        return frontends;
    }

    internal static string Render(IReadOnlyList<Frontend> frontends, string nodeInterface)
    {
        var rules = new StringBuilder();
        foreach (var (service, address, protocol, port, targets) in frontends)
        {
            var comment = $"comment \"{service}\"";
            var match = $"ip daddr {address} {protocol} dport {port}";
            if (targets.Count == 0)
            {
                rules.Append($"        {match} {(protocol == "tcp" ? "reject with tcp reset" : "reject")} {comment}\n");
            }
            else if (targets.Select(t => t.Port).Distinct().Count() == 1)
            {
                var map = string.Join(", ", targets.Select((t, i) => $"{i} : {t.Ip}"));
                rules.Append($"        {match} dnat to numgen random mod {targets.Count} map {{ {map} }} : {targets[0].Port} {comment}\n");
            }
            else
            {
                var map = string.Join(", ", targets.Select((t, i) => $"{i} : {t.Ip} . {t.Port}"));
                rules.Append($"        {match} dnat ip to numgen random mod {targets.Count} map {{ {map} }} {comment}\n");
            }
        }

        return $$"""
            table ip {{Table}}
            delete table ip {{Table}}
            table ip {{Table}} {
                chain services {
            {{rules}}    }
                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    jump services
                }
                chain output {
                    type nat hook output priority -100; policy accept;
                    jump services
                }
                chain filter-output {
                    type filter hook output priority filter; policy accept;
                    jump services-reject
                }
                chain filter-forward {
                    type filter hook forward priority filter; policy accept;
                    jump services-reject
                }
                chain services-reject {
                }
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ct status dnat iifname "{{nodeInterface}}" oifname "{{nodeInterface}}" masquerade
                }
            }

            """;
    }

    /// <summary>
    /// The UDP flows that would stay pinned to an endpoint that is gone: kube-proxy deletes the conntrack entries of a
    /// UDP service address whose reply source is an endpoint no longer among its ready ones, because UDP has no
    /// connection to end and a client that keeps its socket (and source port) would otherwise keep being translated to
    /// the dead endpoint for as long as it keeps sending (kubernetes <c>pkg/proxy/conntrack/cleanup.go</c>).
    /// </summary>
    internal static IEnumerable<(string Address, string Port, string Endpoint)> StaleUdpFlows(IReadOnlyList<Frontend> before, IReadOnlyList<Frontend> after)
    {
        var now = after.Where(f => f.Protocol == "udp").ToDictionary(f => (f.Address, f.Port), f => f.Targets.Select(t => t.Ip).ToHashSet(StringComparer.Ordinal));
        return before.Where(f => f.Protocol == "udp")
            .SelectMany(f => f.Targets.Select(t => t.Ip).Distinct(StringComparer.Ordinal)
                .Where(ip => !now.TryGetValue((f.Address, f.Port), out var ready) || !ready.Contains(ip))
                .Select(ip => (f.Address, f.Port, ip)))
            .Distinct();
    }

    private async Task ClearConntrackAsync(string address, string port, string endpoint, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("conntrack", ["-D", "-p", "udp", "--orig-dst", address, "--orig-port-dst", port, "--reply-src", endpoint])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("conntrack did not start.");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await output.ConfigureAwait(false);

            // conntrack exits 1 when no entry matched; that is not an error here.
            if (process.ExitCode != 0 && !error.Contains("0 flow entries", StringComparison.Ordinal))
            {
                logger.LogWarning("kube-proxy could not clear the UDP flows of {Address}:{Port} to {Endpoint}: conntrack exited {Code}: {Error}", address, port, endpoint, process.ExitCode, error.Trim());
                return;
            }

            logger.LogInformation("kube-proxy cleared the UDP flows of {Address}:{Port} to the endpoint {Endpoint} that is gone ({Result}).", address, port, endpoint, error.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            logger.LogWarning("kube-proxy could not clear the UDP flows of {Address}:{Port} to {Endpoint}: {Error} (is conntrack installed?)", address, port, endpoint, e.Message);
        }
    }

    private static bool IsIPv4(string text) => System.Net.IPAddress.TryParse(text, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;

    private async Task ApplyAsync(string ruleset, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nft", ["-f", "-"]) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("nft did not start.");
        await process.StandardInput.WriteAsync(ruleset.AsMemory(), cancellationToken).ConfigureAwait(false);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"nft exited {process.ExitCode}: {error.Trim()}");
        }

        logger.LogInformation("kube-proxy rules updated ({Rules} service rules).", ruleset.Split('\n').Count(l => l.Contains("ip daddr", StringComparison.Ordinal)));
    }
}
