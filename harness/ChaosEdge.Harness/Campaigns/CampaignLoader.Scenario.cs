using System.Text.RegularExpressions;
using ChaosEdge.Faults;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;
using YamlDotNet.RepresentationModel;

namespace ChaosEdge.Campaigns;

public static partial class CampaignLoader
{
    private static readonly Dictionary<string, FaultKind> Faults = KebabNames(Enum.GetValues<FaultKind>());

    /// <summary>The roles a scenario names as <c>target: role</c>; a named node and a pod's node are written as mappings.</summary>
    private static readonly Dictionary<string, TargetRole> Roles = KebabNames(Enum.GetValues<TargetRole>().Where(r => r is not (TargetRole.Node or TargetRole.PodNode)));

    private static readonly Dictionary<string, WorkloadKind> Workloads = KebabNames(Enum.GetValues<WorkloadKind>());

    /// <summary>Today's defaults of every optional key.</summary>
    private static readonly ScenarioDefinition Defaults = new() { Name = string.Empty, Fault = FaultKind.PowerOff, Target = TargetRole.VipHolder };

    private static readonly TimeSpan OneHour = TimeSpan.FromHours(1);

    private sealed partial class Reader
    {
        public CatalogScenario? ReadScenario(YamlScope scope, IReadOnlyDictionary<string, ApplicationProbeSpec> declared, int defaultTrials)
        {
            var name = scope.Scalar("name", required: true);
            if (name is not null && !ValueParsers.IsDnsLabel(name))
            {
                problems.Add(scope.NodeOf("name")!, scope.FieldPath("name"), $"'{name}' is not a scenario name: lower-case letters, digits and '-' (such as vip-holder-power-off), at most 63.");
                name = null;
            }

            var suite = scope.Scalar("suite", required: true);
            if (suite is not null && !SuiteName().IsMatch(suite))
            {
                problems.Add(scope.NodeOf("suite")!, scope.FieldPath("suite"), $"'{suite}' is not a suite name: a letter, then letters and digits (such as Failover or Customer).");
                suite = null;
            }

            var title = scope.Scalar("title", required: true);
            var fault = ReadChoice(scope, "fault", Faults, "fault", required: true);
            var target = ReadTarget(scope);
            var baseline = ReadDuration(scope, "baseline", Defaults.Baseline, TimeSpan.Zero, OneHour);
            var (minimumHold, maximumHold) = ReadHold(scope);
            var afterRestore = ReadDuration(scope, "afterRestore", Defaults.AfterRestore, TimeSpan.Zero, OneHour);
            var recoveryProbes = Defaults.RecoveryProbes;
            var gateTimeout = Defaults.RecoveryGateTimeout;
            if (scope.Mapping("recovery", required: false) is { } recovery)
            {
                recoveryProbes = ReadNames(recovery, "probes")?.Select(p => p.Name).ToList() ?? recoveryProbes;
                gateTimeout = ReadDuration(recovery, "gateTimeout", gateTimeout, TimeSpan.FromSeconds(1), OneHour);
                recovery.RejectUnknownKeys();
            }

            var workload = ReadChoice(scope, "workload", Workloads, "workload", required: false) ?? WorkloadKind.None;
            var (applicationProbes, workloadProbe, clientProbe) = ReadScenarioProbes(scope, declared);
            var arpGuard = ReadBool(scope, "arpGuard", false);
            if (arpGuard && !clientProbe)
            {
                problems.Add(scope.NodeOf("arpGuard")!, scope.FieldPath("arpGuard"), $"needs the client on the switch: add '{ScenarioRunner.ClientProbeName}' to the scenario's probes.");
            }

            var quorumLossIntended = ReadBool(scope, "quorumLossIntended", false);
            var volumeProbeInterval = ReadDuration(scope, "volumeProbeInterval", Defaults.VolumeProbeInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
            var (servers, agents, dns) = ReadLab(scope);
            var trials = ReadInt(scope, "trials", defaultTrials, 1, MaximumTrials);
            IReadOnlyList<SlaThreshold>? sla = scope.Mapping("sla", required: false) is { } thresholds
                ? SlaLoader.ReadProbes(thresholds, problems.File, problems, name ?? string.Empty)
                : null;
            scope.RejectUnknownKeys();

            if (name is null || suite is null || title is null || fault is not { } faultKind || target is not { } chosen)
            {
                return null;
            }

            var definition = new ScenarioDefinition
            {
                Name = name, Fault = faultKind, Target = chosen.Role, TargetNode = chosen.Node, TargetPods = chosen.Pods,
                ApplicationProbes = applicationProbes, Trials = trials, Baseline = baseline, MinimumHold = minimumHold, MaximumHold = maximumHold,
                RecoveryProbes = recoveryProbes, AfterRestore = afterRestore, QuorumLossIntended = quorumLossIntended,
                VolumeProbeInterval = volumeProbeInterval, WorkloadProbe = workloadProbe, ClientProbe = clientProbe, ArpGuard = arpGuard,
                RecoveryGateTimeout = gateTimeout,
            };
            return new CatalogScenario(suite, title, definition) { Workload = workload, Sla = sla, LabServers = servers, LabAgents = agents, DnsShape = dns };
        }

        private (TargetRole Role, string? Node, PodSelector? Pods)? ReadTarget(YamlScope scope)
        {
            var value = scope.Required("target");
            var forms = $"target roles are {string.Join(", ", Roles.Keys)}; or {{ node: NAME }} for a named node, or {{ pods: SELECTOR, namespace: NAMESPACE }} for the node running such a pod";
            switch (value)
            {
                case null:
                    return null;
                case YamlScalarNode { Value: var text }:
                    if (text is not null && Roles.TryGetValue(text, out var role))
                    {
                        return (role, null, null);
                    }

                    problems.Add(value, scope.FieldPath("target"), $"'{text}' is not a target role; {forms}.");
                    return null;
                case YamlMappingNode mapping:
                    return ReadTargetMapping(new YamlScope(mapping, scope.FieldPath("target"), problems), forms);
                default:
                    problems.Add(value, scope.FieldPath("target"), $"must be a role or a mapping; {forms}.");
                    return null;
            }
        }

        private (TargetRole Role, string? Node, PodSelector? Pods)? ReadTargetMapping(YamlScope target, string forms)
        {
            var node = target.Scalar("node", required: false);
            var selector = target.Scalar("pods", required: false);
            var ns = target.Scalar("namespace", required: false);
            target.RejectUnknownKeys();
            if ((target.NodeOf("node") is null) == (target.NodeOf("pods") is null))
            {
                problems.Add(target.Node, target.Path, $"names {(target.NodeOf("node") is null ? "neither a node nor pods" : "both a node and pods")}; {forms}.");
                return null;
            }

            var key = target.NodeOf("node") is null ? "pods" : "node";
            if ((key == "node" ? node : selector) is null && target.NodeOf(key) is not YamlScalarNode)
            {
                // Reported already by Scalar: a list or mapping where one value belongs.
                return null;
            }

            if (target.NodeOf("node") is not null)
            {
                if (ns is not null)
                {
                    problems.Add(target.NodeOf("namespace")!, target.FieldPath("namespace"), "goes with 'pods', not with 'node'.");
                }

                if (node is null || !ValueParsers.IsDnsLabel(node))
                {
                    problems.Add(target.NodeOf("node")!, target.FieldPath("node"), node is null ? "must name a node of the inventory." : $"'{node}' is not a node name: lower-case letters, digits and '-', as the inventory names it.");
                    return null;
                }

                return (TargetRole.Node, node, null);
            }

            var valid = true;
            if (selector is null || !IsLabelSelector(selector))
            {
                problems.Add(target.NodeOf("pods")!, target.FieldPath("pods"), $"{(selector is null ? "must be" : $"'{selector}' is not")} a label selector: comma-separated key=value, key!=value, key or !key (such as app=edge-app).");
                valid = false;
            }

            if (ns is not null && !ValueParsers.IsDnsLabel(ns))
            {
                problems.Add(target.NodeOf("namespace")!, target.FieldPath("namespace"), $"'{ns}' is not a namespace: lower-case letters, digits and '-'.");
                valid = false;
            }

            return valid && selector is { } pods ? (TargetRole.PodNode, null, new PodSelector(ns ?? "default", pods)) : null;
        }

        private (TimeSpan Minimum, TimeSpan Maximum) ReadHold(YamlScope scope)
        {
            if (scope.Mapping("hold", required: false) is not { } hold)
            {
                return (Defaults.MinimumHold, Defaults.MaximumHold);
            }

            var minimum = ReadDuration(hold, "min", Defaults.MinimumHold, TimeSpan.Zero, OneHour);
            var maximum = ReadDuration(hold, "max", Defaults.MaximumHold, TimeSpan.FromSeconds(1), OneHour);
            hold.RejectUnknownKeys();
            if (minimum > maximum)
            {
                var written = hold.NodeOf("min") is null ? " (the default)" : string.Empty;
                problems.Add(hold.NodeOf("min") ?? hold.Node, hold.FieldPath("min"), $"{Describe(minimum)}{written} is longer than max {Describe(maximum)}; the fault is restored at max at the latest.");
            }

            return (minimum, maximum);
        }

        private (List<ApplicationProbeSpec> Application, bool Workload, bool Client) ReadScenarioProbes(YamlScope scope, IReadOnlyDictionary<string, ApplicationProbeSpec> declared)
        {
            var application = new List<ApplicationProbeSpec>();
            var (workload, client) = (false, false);
            foreach (var (name, node) in ReadNames(scope, "probes") ?? [])
            {
                if (name == ScenarioRunner.WorkloadProbeName)
                {
                    workload = true;
                }
                else if (name == ScenarioRunner.ClientProbeName)
                {
                    client = true;
                }
                else if (declared.TryGetValue(name, out var probe))
                {
                    application.Add(probe);
                }
                else
                {
                    problems.Add(node, scope.FieldPath("probes"), $"'{name}' is not a probe; probes are those declared under 'probes:' and the built-in ones: {string.Join(", ", declared.Keys.Concat(OptionalProbes))}.");
                }
            }

            return (application, workload, client);
        }

        private (int Servers, int Agents, DnsSettings? Dns) ReadLab(YamlScope scope)
        {
            if (scope.Mapping("lab", required: false) is not { } lab)
            {
                return (3, 0, null);
            }

            var servers = ReadInt(lab, "servers", 3, 2, 3);
            var agents = ReadInt(lab, "agents", 0, 0, 16);
            DnsSettings? dns = null;
            if (lab.Mapping("dns", required: false) is { } d)
            {
                var fallback = DnsSettings.Default;
                dns = new DnsSettings(ReadInt(d, "replicas", fallback.Replicas, 1, 16), ReadBool(d, "antiAffinity", fallback.AntiAffinity), ReadBool(d, "podDisruptionBudget", fallback.PodDisruptionBudget));
                d.RejectUnknownKeys();
            }

            lab.RejectUnknownKeys();
            return (servers, agents, dns);
        }
    }

    /// <summary>An equality-based Kubernetes label selector: comma-separated <c>key=value</c>, <c>key==value</c>, <c>key!=value</c>, <c>key</c>, <c>!key</c>.</summary>
    internal static bool IsLabelSelector(string text) =>
        text.Length > 0 && text.Split(',').All(term => SelectorTerm().IsMatch(term.Trim()));

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SuiteName();

    private const string LabelKey = @"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
    private const string LabelValue = "([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?";

    [GeneratedRegex("^(!?" + LabelKey + "|" + LabelKey + "(=|==|!=)" + LabelValue + ")$", RegexOptions.CultureInvariant)]
    private static partial Regex SelectorTerm();
}
