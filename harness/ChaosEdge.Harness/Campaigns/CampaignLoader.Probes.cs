using System.Net.Sockets;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Scenarios;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Campaigns;

public static partial class CampaignLoader
{
    private static readonly Dictionary<string, ApplicationProbeKind> ProbeKinds = new(StringComparer.Ordinal)
    {
        ["tcp"] = ApplicationProbeKind.Tcp, ["http"] = ApplicationProbeKind.Http, ["request-response"] = ApplicationProbeKind.RequestResponse,
    };

    /// <summary>The built-in probes a scenario adds by name in its <c>probes:</c> list; a declared probe may not take these names.</summary>
    private static readonly string[] OptionalProbes = [ScenarioRunner.WorkloadProbeName, ScenarioRunner.ClientProbeName];

    /// <summary>The probes every scenario runs (ProbeSet.Default, the volume probe): a timeline holds one probe of a name.</summary>
    private static readonly string[] BuiltInProbes = ["vip-tcp", "vip-icmp", "api-readyz-fresh", "api-readyz-long", "service-vip-tcp", "vip-owner", "etcd", "volume-write"];

    private sealed partial class Reader
    {
        /// <summary>The <c>probes:</c> mapping: application probes by name, each with the place it was declared.</summary>
        public Dictionary<string, ApplicationProbeSpec> ReadProbeDeclarations(YamlScope all)
        {
            var probes = new Dictionary<string, ApplicationProbeSpec>(StringComparer.Ordinal);
            foreach (var (key, value) in all.Node.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? string.Empty;
                all.Optional(name);
                if (!ValueParsers.IsDnsLabel(name))
                {
                    problems.Add(key, all.FieldPath(name), $"'{name}' is not a probe name: lower-case letters, digits and '-' (such as edge-http).");
                    continue;
                }

                if (OptionalProbes.Contains(name, StringComparer.Ordinal) || BuiltInProbes.Contains(name, StringComparer.Ordinal)
                    || name.StartsWith("dns-", StringComparison.Ordinal) || name.StartsWith("arp-", StringComparison.Ordinal))
                {
                    problems.Add(key, all.FieldPath(name), $"'{name}' is a built-in probe's name ({string.Join(", ", [.. BuiltInProbes, .. OptionalProbes, "dns-NODE", "arp-VIP"])}); give the application probe another.");
                    continue;
                }

                if (YamlScope.Open(value, all.FieldPath(name), problems) is { } scope && ReadProbe(scope, name, $"{problems.File}:{key.Start.Line}:{key.Start.Column}") is { } probe)
                {
                    probes[name] = probe;
                }
            }

            return probes;
        }

        private ApplicationProbeSpec? ReadProbe(YamlScope scope, string name, string source)
        {
            var kind = ReadChoice(scope, "kind", ProbeKinds, "probe kind", required: true);
            var service = ReadService(scope);
            var address = scope.Scalar("address", required: false);
            System.Net.IPAddress? ip = null;
            if (address is not null && (!ValueParsers.TryParseAddress(address, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetwork))
            {
                problems.Add(scope.NodeOf("address")!, scope.FieldPath("address"), $"'{address}' is not an IPv4 address such as 198.18.0.40.");
            }
            else if (address is not null)
            {
                ip = System.Net.IPAddress.Parse(address);
            }

            var hasService = scope.NodeOf("service") is not null;
            var hasAddress = scope.NodeOf("address") is not null;
            if (hasService == hasAddress)
            {
                problems.Add(hasService ? scope.NodeOf("address")! : scope.Node, scope.Path, hasService
                    ? "names both a service and an address; probe one: a LoadBalancer service (its external IP) or a fixed address."
                    : "needs a 'service' (a LoadBalancer service such as default/edge-app) or an 'address' (a fixed IPv4 address).");
            }

            int? port = scope.NodeOf("port") is null ? null : ReadInt(scope, "port", 0, 1, 65535);
            if (hasAddress && !hasService && scope.NodeOf("port") is null)
            {
                problems.Add(scope.Node, scope.FieldPath("port"), "is required with 'address' (a service's first port is taken only for a 'service').");
            }

            // An unknown kind is reported once, not again for every key of the kind the user meant.
            var http = kind is null or ApplicationProbeKind.Http;
            var exchange = kind is null or ApplicationProbeKind.RequestResponse;
            var path = OnlyFor(scope, "path", http, "http") ?? "/";
            if (!path.StartsWith('/') || path.Any(c => c <= ' ' || c >= '\x7f'))
            {
                problems.Add(scope.NodeOf("path")!, scope.FieldPath("path"), $"'{path}' is not an HTTP path: it starts with '/' and holds no spaces, control or non-ASCII characters (percent-encode them).");
            }

            var status = OnlyFor(scope, "expectStatus", http, "http") is null ? 200 : ReadInt(scope, "expectStatus", 200, 100, 599);
            var send = OnlyFor(scope, "send", exchange, "request-response") ?? string.Empty;
            var expect = OnlyFor(scope, "expect", exchange, "request-response") ?? string.Empty;
            if (kind == ApplicationProbeKind.RequestResponse && expect.Length == 0)
            {
                problems.Add(scope.NodeOf("expect") ?? scope.Node, scope.FieldPath("expect"), "is required for a request-response probe: the text its response must contain.");
            }
            else if (System.Text.Encoding.UTF8.GetByteCount(expect) > ProbeExchange.BufferSize)
            {
                problems.Add(scope.NodeOf("expect")!, scope.FieldPath("expect"), $"is longer than the {ProbeExchange.BufferSize} bytes a sample reads of the response.");
            }

            var interval = ReadDuration(scope, "interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10));
            var timeout = ReadDuration(scope, "timeout", TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
            scope.RejectUnknownKeys();
            return kind is not { } k ? null : new ApplicationProbeSpec(name, k)
            {
                Service = service, Address = ip, Port = port, Path = path, ExpectStatus = status, Send = send, Expect = expect,
                Interval = interval, Timeout = timeout, Source = source,
            };
        }

        private ServiceReference? ReadService(YamlScope scope)
        {
            if (scope.Scalar("service", required: false) is not { } text)
            {
                return null;
            }

            var parts = text.Split('/');
            if (parts.Length == 2 && parts.All(ValueParsers.IsDnsLabel))
            {
                return new ServiceReference(parts[0], parts[1]);
            }

            problems.Add(scope.NodeOf("service")!, scope.FieldPath("service"), $"'{text}' is not a service as namespace/name, such as default/edge-app.");
            return null;
        }

        /// <summary>A key that only one kind of probe takes: its value there, a problem elsewhere.</summary>
        private string? OnlyFor(YamlScope scope, string key, bool applies, string kind)
        {
            var text = scope.Scalar(key, required: false);
            if (text is not null && !applies)
            {
                problems.Add(scope.NodeOf(key)!, scope.FieldPath(key), $"applies to {kind} probes only.");
                return null;
            }

            return text;
        }
    }
}
