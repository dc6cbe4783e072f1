using ChaosEdge.Campaigns;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Measurement.Sla;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Tests.Campaigns;

public sealed class CampaignLoaderTests
{
    private const string Customer = """
        version: 1
        name: customer
        probes:
          edge-http:
            kind: http
            service: default/edge-app
            port: 80
            expectStatus: 200
            interval: 100ms
        scenarios:
          - name: edge-app-node-power-off
            suite: Customer
            title: Power-off of the node running edge-app moves it within the SLA
            fault: power-off
            target: { pods: app=edge-app }
            probes: [edge-http]
            hold: { min: 10s, max: 60s }
            recovery: { probes: [edge-http, service-vip-tcp] }
            trials: 5
            sla:
              edge-http: { takeover: 15s, availability: 50% }
          - name: edge-2-kubelet-stop
            suite: Customer
            title: Kubelet stop on edge-2
            fault: kubelet-stop
            target: { node: edge-2 }
          - name: vip-nic-down
            suite: Network
            title: NIC down on the VIP holder
            fault: nic-down
            target: vip-holder
        """;

    [Test]
    public void A_users_campaign_parses_to_the_definition_it_describes()
    {
        var campaign = CampaignLoader.Parse(Customer, "campaign.yaml");
        var scenario = campaign.Get("edge-app-node-power-off");
        var definition = scenario.Definition;

        Assert.Multiple(() =>
        {
            Assert.That(campaign.Name, Is.EqualTo("customer"));
            Assert.That(campaign.SourcePath, Is.EqualTo("campaign.yaml"));
            Assert.That(scenario.Suite, Is.EqualTo("Customer"));
            Assert.That(definition.Fault, Is.EqualTo(FaultKind.PowerOff));
            Assert.That(definition.Target, Is.EqualTo(TargetRole.PodNode));
            Assert.That(definition.TargetPods, Is.EqualTo(new PodSelector("default", "app=edge-app")));
            Assert.That(definition.TargetNode, Is.Null);
            Assert.That(definition.ApplicationProbes, Is.EqualTo(new[]
            {
                new ApplicationProbeSpec("edge-http", ApplicationProbeKind.Http)
                {
                    Service = new ServiceReference("default", "edge-app"), Port = 80, ExpectStatus = 200, Path = "/",
                    Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(500), Source = "campaign.yaml:4:3",
                },
            }));
            Assert.That(definition.Trials, Is.EqualTo(5));
            Assert.That(definition.MinimumHold, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(definition.MaximumHold, Is.EqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(definition.RecoveryProbes, Is.EqualTo(new[] { "edge-http", "service-vip-tcp" }));
            Assert.That(definition.Baseline, Is.EqualTo(TimeSpan.FromSeconds(3)), "today's default");
            Assert.That(definition.RecoveryGateTimeout, Is.EqualTo(TimeSpan.FromMinutes(3)), "today's default");
            Assert.That(definition.WorkloadProbe || definition.ClientProbe || definition.ArpGuard, Is.False);
            Assert.That(scenario.Workload, Is.EqualTo(WorkloadKind.None));
            Assert.That(scenario.LabServers, Is.EqualTo(3));
            Assert.That(scenario.Sla!.Select(t => $"{t.Probe} {t.Metric} {t.Limit} {t.Text} {t.Source} {t.Entry}"), Is.EqualTo(new[]
            {
                "edge-http Takeover 15000 15s campaign.yaml:21:30 edge-app-node-power-off",
                "edge-http Availability 0.5 50% campaign.yaml:21:49 edge-app-node-power-off",
            }));
            Assert.That(campaign.Get("edge-2-kubelet-stop").Definition, Has.Property(nameof(ScenarioDefinition.Target)).EqualTo(TargetRole.Node).And.Property(nameof(ScenarioDefinition.TargetNode)).EqualTo("edge-2"));
            Assert.That(campaign.Get("edge-2-kubelet-stop").Sla, Is.Null, "no sla: block, the SLA file's entry");
            Assert.That(campaign.Get("edge-2-kubelet-stop").Definition.Trials, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_broken_campaign_reports_every_mistake_with_its_line_column_and_field()
    {
        const string yaml = """
            version: 1
            name: broken
            probes:
              edge-http:
                kind: http
                service: default/edge-app
                address: 198.18.0.40
              plc:
                kind: request-response
                address: 198.18.0.41
                port: 502
            scenarios:
              - name: first
                suite: Customer
                title: One
                fault: power-of
                target: vip-holder
                hold: { min: 30s, max: 20s }
                probes: [edge-htp]
                trials: 0
              - name: first
                suite: Customer
                title: Two
                fault: power-off
                target: { pods: "=edge-app" }
                arpGuard: true
                lab: { servers: 4 }
                baseline: 3 seconds
                tagret: x
            """;

        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Parse(yaml, "campaign.yaml"))!;

        Assert.That(error.Problems.Select(p => $"{p.Line}:{p.Column} {p.Field}"), Is.EqualTo(new[]
        {
            "7:14 probes.edge-http",
            "9:5 probes.plc.expect",
            "16:12 scenarios[0].fault",
            "18:18 scenarios[0].hold.min",
            "19:14 scenarios[0].probes",
            "20:13 scenarios[0].trials",
            "21:11 scenarios[1].name",
            "25:21 scenarios[1].target.pods",
            "26:15 scenarios[1].arpGuard",
            "27:21 scenarios[1].lab.servers",
            "28:15 scenarios[1].baseline",
            "29:5 scenarios[1].tagret",
        }));
        Assert.Multiple(() =>
        {
            var messages = error.Problems.Select(p => p.ToString()).ToList();
            Assert.That(messages[0], Does.Contain("names both a service and an address"));
            Assert.That(messages[1], Does.Contain("is required for a request-response probe"));
            Assert.That(messages[2], Does.StartWith("campaign.yaml:16:12 scenarios[0].fault: 'power-of' is not a fault; faults are power-off, kubelet-stop, nic-down, etcd-member-loss, partition."));
            Assert.That(messages[3], Does.Contain("30s is longer than max 20s"));
            Assert.That(messages[4], Does.Contain("'edge-htp' is not a probe").And.Contain("edge-http, plc, workload-ready, client-tcp"));
            Assert.That(messages[5], Does.Contain("'0' is not a whole number from 1 to 100."));
            Assert.That(messages[6], Does.Contain("'first' already names the scenario at line 13"));
            Assert.That(messages[7], Does.Contain("'=edge-app' is not a label selector"));
            Assert.That(messages[8], Does.Contain("add 'client-tcp' to the scenario's probes"));
            Assert.That(messages[9], Does.Contain("'4' is not a whole number from 2 to 3."));
            Assert.That(messages[10], Does.Contain("'3 seconds' is not a duration such as 5s, 250ms or 1m30s."));
            Assert.That(messages[11], Does.Contain("unknown key 'tagret' (did you mean 'target'?)."));
        });
    }

    [TestCase("target: edge-2", "'edge-2' is not a target role; target roles are vip-holder, non-holder, etcd-leader")]
    [TestCase("target: { node: edge-2, pods: app=x }", "names both a node and pods")]
    [TestCase("target: { namespace: default }", "names neither a node nor pods")]
    [TestCase("workload: write-markers", "'write-markers' is not a workload; workloads are none, write-markers-through-vip, write-markers-on-every-side.")]
    [TestCase("target: { node: }", "must name a node of the inventory.")]
    [TestCase("target: { pods: app=x y }", "'app=x y' is not a label selector")]
    [TestCase("target: { node: edge-2, namespace: default }", "goes with 'pods', not with 'node'.")]
    [TestCase("hold: { max: 5s }", "8s (the default) is longer than max 5s")]
    [TestCase("hold: { min: 2m, max: 90s }", "2m is longer than max 1m30s")]
    [TestCase("lab: { dns: { replicas: 0 } }", "'0' is not a whole number from 1 to 16.")]
    [TestCase("quorumLossIntended: yes", "'yes' is not 'true' or 'false'.")]
    [TestCase("volumeProbeInterval: 1m", "'1m' is not a duration from 1ms to 10s.")]
    [TestCase("sla: { edge-http: { takeover: soon } }", "'soon' is not a duration such as 5s, 250ms or 1m30s.")]
    public void A_scenario_mistake_is_reported_in_the_users_words(string line, string message)
    {
        var yaml = $"version: 1\nname: t\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n{(line.StartsWith("target", StringComparison.Ordinal) ? string.Empty : "    target: vip-holder\n")}    {line}\n";

        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Parse(yaml, "c.yaml"))!;

        Assert.That(error.Problems.Select(p => p.Message), Has.One.Contains(message));
    }

    [TestCase("kind: tcp\n    address: 198.18.0.40", "probes.p.port: is required with 'address'")]
    [TestCase("kind: tcp\n    port: 80", "probes.p: needs a 'service'")]
    [TestCase("kind: tcp\n    address: 198.18.0.40\n    port: 80\n    path: /x", "probes.p.path: applies to http probes only.")]
    [TestCase("kind: udp\n    address: 198.18.0.40\n    port: 80", "'udp' is not a probe kind; probe kinds are tcp, http, request-response.")]
    [TestCase("kind: http\n    service: edge-app", "'edge-app' is not a service as namespace/name")]
    [TestCase("kind: http\n    service: default/edge-app\n    interval: 5ms", "'5ms' is not a duration from 10ms to 10s.")]
    [TestCase("kind: http\n    address: 10.1\n    port: 80", "'10.1' is not an IPv4 address")]
    [TestCase("kind: http\n    service: default/edge-app\n    path: /a b", "probes.p.path: '/a b' is not an HTTP path")]
    public void A_probe_mistake_is_reported_with_its_field(string body, string message)
    {
        var yaml = $"version: 1\nname: t\nprobes:\n  p:\n    {body}\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n    target: vip-holder\n    probes: [p]\n";

        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Parse(yaml, "c.yaml"))!;

        Assert.That(error.Problems.Select(p => p.ToString()), Has.One.Contains(message));
    }

    [TestCase("vip-tcp")]
    [TestCase("dns-edge-1")]
    [TestCase("volume-write")]
    public void A_probe_may_not_take_a_built_in_probes_name(string name)
    {
        var yaml = $"version: 1\nname: t\nprobes:\n  {name}:\n    kind: tcp\n    address: 198.18.0.40\n    port: 80\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n    target: vip-holder\n";

        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Parse(yaml, "c.yaml"))!;

        Assert.That(error.Problems.Select(p => p.ToString()), Has.One.Contains($"c.yaml:4:3 probes.{name}: '{name}' is a built-in probe's name"));
    }

    [Test]
    public void An_expected_text_longer_than_a_sample_reads_is_reported()
    {
        var yaml = $"version: 1\nname: t\nprobes:\n  p:\n    kind: request-response\n    address: 198.18.0.40\n    port: 502\n    expect: {new string('x', 4097)}\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n    target: vip-holder\n    probes: [p]\n";

        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Parse(yaml, "c.yaml"))!;

        Assert.That(error.Problems.Select(p => p.ToString()), Has.One.Contains("probes.p.expect: is longer than the 4096 bytes"));
    }

    [TestCase("app=edge-app", "app=edge-app")]
    [TestCase("tier!=cache,app", "tier!=cache,app")]
    [TestCase("app.kubernetes.io/name==node-red, !canary", "app.kubernetes.io/name==node-red, !canary")]
    public void A_pod_selector_is_taken_as_written(string selector, string expected)
    {
        var yaml = $"version: 1\nname: t\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n    target: {{ pods: \"{selector}\", namespace: plant }}\n";

        var definition = CampaignLoader.Parse(yaml, "c.yaml").Scenarios.Single().Definition;

        Assert.That(definition.TargetPods, Is.EqualTo(new PodSelector("plant", expected)));
    }

    [Test]
    public void A_request_response_probe_decodes_its_escapes()
    {
        var yaml = "version: 1\nname: t\nprobes:\n  plc:\n    kind: request-response\n    address: 198.18.0.41\n    port: 502\n    send: \"PING\\r\\n\"\n    expect: PONG\nscenarios:\n  - name: s\n    suite: S\n    title: T\n    fault: power-off\n    target: vip-holder\n    probes: [plc, client-tcp, workload-ready]\n    arpGuard: true\n";

        var definition = CampaignLoader.Parse(yaml, "c.yaml").Scenarios.Single().Definition;

        Assert.Multiple(() =>
        {
            Assert.That(definition.ApplicationProbes.Single().Send, Is.EqualTo("PING\r\n"));
            Assert.That(definition.ApplicationProbes.Single().Address, Is.EqualTo(System.Net.IPAddress.Parse("198.18.0.41")));
            Assert.That(definition.ClientProbe && definition.WorkloadProbe && definition.ArpGuard, Is.True);
        });
    }

    [Test]
    public void Select_takes_a_campaigns_own_suites_and_scenarios_and_names_them_for_an_unknown_term()
    {
        var campaign = CampaignLoader.Parse(Customer, "campaign.yaml");

        Assert.Multiple(() =>
        {
            Assert.That(campaign.Suites, Is.EqualTo(new[] { "Customer", "Network" }));
            Assert.That(campaign.Select(null), Has.Count.EqualTo(3));
            Assert.That(campaign.Select("customer").Select(s => s.Name), Is.EqualTo(new[] { "edge-app-node-power-off", "edge-2-kubelet-stop" }));
            Assert.That(campaign.Select("VIP-NIC-DOWN, Customer").Select(s => s.Name), Is.EqualTo(new[] { "edge-app-node-power-off", "edge-2-kubelet-stop", "vip-nic-down" }), "file order, not filter order");
            Assert.That(() => campaign.Select("Failover,nope"), Throws.TypeOf<ChaosEdgeException>().With.Message.EqualTo(
                "The filter names no suite or scenario 'Failover', 'nope'. Suites: Customer, Network; scenarios: edge-app-node-power-off, edge-2-kubelet-stop, vip-nic-down."));
            Assert.That(() => campaign.Get("nope"), Throws.TypeOf<ChaosEdgeException>().With.Message.Contains("There is no scenario 'nope'."));
        });
    }

    [Test]
    public void WithTrials_overrides_every_scenarios_trials_and_keeps_the_rest()
    {
        var campaign = CampaignLoader.Parse(Customer, "campaign.yaml");

        var tripled = campaign.WithTrials(3);

        Assert.Multiple(() =>
        {
            Assert.That(tripled.Scenarios.Select(s => s.Definition.Trials), Is.All.EqualTo(3));
            Assert.That(tripled.Scenarios.Select(s => s.Definition.Name), Is.EqualTo(campaign.Scenarios.Select(s => s.Definition.Name)));
            Assert.That(tripled.Get("edge-app-node-power-off").Sla, Is.SameAs(campaign.Get("edge-app-node-power-off").Sla));
            Assert.That(campaign.Get("edge-app-node-power-off").Definition.Trials, Is.EqualTo(5), "the original is unchanged");
            Assert.That(() => campaign.WithTrials(0), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => campaign.WithTrials(101), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void The_campaigns_default_trials_apply_where_a_scenario_gives_none()
    {
        var campaign = CampaignLoader.Parse(Customer.Replace("name: customer", "name: customer\ntrials: 2", StringComparison.Ordinal), "campaign.yaml");

        Assert.That(campaign.Scenarios.Select(s => s.Definition.Trials), Is.EqualTo(new[] { 5, 2, 2 }));
    }

    [Test]
    public void The_shipped_example_campaign_loads()
    {
        var campaign = CampaignLoader.Load(Path.Combine(TestContext.CurrentContext.TestDirectory, "campaigns", "examples", "edge-app-power-off.yaml"));
        var scenario = campaign.Scenarios.Single();

        Assert.Multiple(() =>
        {
            Assert.That(scenario.Name, Is.EqualTo("edge-app-node-power-off"));
            Assert.That(scenario.Suite, Is.EqualTo("Customer"));
            Assert.That(scenario.Definition.TargetPods, Is.EqualTo(new PodSelector("default", "app=edge-app")));
            Assert.That(scenario.Definition.ApplicationProbes.Single(), Has.Property(nameof(ApplicationProbeSpec.Kind)).EqualTo(ApplicationProbeKind.Http)
                .And.Property(nameof(ApplicationProbeSpec.Port)).EqualTo(80).And.Property(nameof(ApplicationProbeSpec.Timeout)).EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(scenario.Definition.Trials, Is.EqualTo(5));
            Assert.That(scenario.Definition.RecoveryProbes, Is.EqualTo(new[] { "edge-http", "service-vip-tcp" }));
            Assert.That(scenario.Sla!.Select(t => (t.Probe, t.Metric, t.Limit)), Is.EqualTo(new[] { ("edge-http", SlaMetric.Takeover, 15_000.0), ("service-vip-tcp", SlaMetric.Takeover, 15_000.0) }));
        });
    }

    [Test]
    public void A_missing_file_is_reported_by_its_path()
    {
        var error = Assert.Throws<ConfigurationInvalidException>(() => CampaignLoader.Load("/nonexistent/campaign.yaml"))!;

        Assert.That(error.Problems.Single().Message, Does.StartWith("cannot be read"));
    }
}
