using ChaosEdge.Campaigns;
using ChaosEdge.Faults;
using ChaosEdge.Inventory;
using ChaosEdge.Measurement.Probes;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Tests.Campaigns;

public sealed class DefaultCampaignTests
{
    private static readonly string[] DnsProbes = ["dns-*"];
    private static readonly string[] VolumeProbes = ["volume-write"];
    private static readonly string[] NoNames = [];
    private static readonly ApplicationProbeSpec[] NoProbes = [];

    /// <summary>ScenarioCatalog.All as the C# table it was before campaigns/default.yaml.</summary>
    private static readonly CatalogScenario[] Expected =
    [
        new(ScenarioCatalog.Failover, "Power-off of the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.VipHolder }),
        new(ScenarioCatalog.Failover, "Kubelet stop on the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-kubelet-stop", Fault = FaultKind.KubeletStop, Target = TargetRole.VipHolder }),
        new(ScenarioCatalog.Failover, "NIC down on the VIP holder moves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "vip-holder-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.VipHolder, MaximumHold = TimeSpan.FromSeconds(15) }),
        new(ScenarioCatalog.Failover, "Power-off of a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.NonHolder }),
        new(ScenarioCatalog.Failover, "Kubelet stop on a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-kubelet-stop", Fault = FaultKind.KubeletStop, Target = TargetRole.NonHolder }),
        new(ScenarioCatalog.Failover, "NIC down on a non-holder leaves the VIP and the API within the SLA",
            new ScenarioDefinition { Name = "non-holder-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.NonHolder, MaximumHold = TimeSpan.FromSeconds(15) }),

        new(ScenarioCatalog.Etcd, "Losing an etcd follower keeps writes available and loses no acknowledged write",
            new ScenarioDefinition { Name = "etcd-follower-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdFollower, MaximumHold = TimeSpan.FromSeconds(12) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },
        new(ScenarioCatalog.Etcd, "Losing the etcd leader elects a new one and loses no acknowledged write",
            new ScenarioDefinition { Name = "etcd-leader-loss", Fault = FaultKind.EtcdMemberLoss, Target = TargetRole.EtcdLeader, MaximumHold = TimeSpan.FromSeconds(12) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },

        new(ScenarioCatalog.SplitBrain, "A partitioned two-node cluster acknowledges no conflicting writes and converges after the heal",
            new ScenarioDefinition
            {
                Name = "two-node-split-brain", Fault = FaultKind.Partition, Target = TargetRole.VipHolder, QuorumLossIntended = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = [],
            })
        {
            Workload = WorkloadKind.WriteMarkersOnEverySide, LabServers = 2,
        },
        new(ScenarioCatalog.SplitBrain, "A non-holder cut off from the other two leaves the majority serving",
            new ScenarioDefinition { Name = "one-vs-two-partition", Fault = FaultKind.Partition, Target = TargetRole.NonHolder, MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(15) })
        {
            Workload = WorkloadKind.WriteMarkersThroughVip,
        },

        new(ScenarioCatalog.Dns, "With K3s's default single DNS replica, DNS is gone until the pod is evicted and rescheduled",
            new ScenarioDefinition
            {
                Name = "dns-default-shape", Fault = FaultKind.PowerOff, Target = TargetRole.DnsReplicaNode,
                MinimumHold = TimeSpan.FromSeconds(5), MaximumHold = TimeSpan.FromSeconds(90), RecoveryProbes = DnsProbes,
            })
        {
            DnsShape = new DnsSettings(1, AntiAffinity: false, PodDisruptionBudget: false),
        },
        new(ScenarioCatalog.Dns, "With three DNS replicas spread across nodes, DNS survives the loss of a node",
            new ScenarioDefinition
            {
                Name = "dns-ha-shape", Fault = FaultKind.PowerOff, Target = TargetRole.DnsReplicaNode,
                MinimumHold = TimeSpan.FromSeconds(12), MaximumHold = TimeSpan.FromSeconds(30), RecoveryProbes = DnsProbes,
            })
        {
            DnsShape = new DnsSettings(3, AntiAffinity: true, PodDisruptionBudget: true),
        },

        new(ScenarioCatalog.Storage, "Power-off of a replica-only node stalls volume writes for the engine-replica timeout, then the volume runs degraded, rebuilds and loses nothing",
            new ScenarioDefinition
            {
                Name = "replica-node-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ReplicaOnlyNode,
                MinimumHold = TimeSpan.FromSeconds(12), MaximumHold = TimeSpan.FromSeconds(20), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
            }),
        new(ScenarioCatalog.Storage, "NIC down on a replica-only node stalls volume writes for the engine-replica timeout, then the volume runs degraded, rebuilds and loses nothing",
            new ScenarioDefinition
            {
                Name = "replica-node-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.ReplicaOnlyNode,
                MaximumHold = TimeSpan.FromSeconds(15), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
            }),
        new(ScenarioCatalog.Storage, "Power-off of the engine's node takes the volume away until its node returns, and loses no acknowledged write",
            new ScenarioDefinition
            {
                Name = "engine-node-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.EngineNode,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
                AfterRestore = TimeSpan.FromSeconds(30),
            }),
        new(ScenarioCatalog.Storage, "NIC down on the engine's node cuts the volume off until the link returns, and loses no acknowledged write",
            new ScenarioDefinition
            {
                Name = "engine-node-nic-down", Fault = FaultKind.NicDown, Target = TargetRole.EngineNode,
                MaximumHold = TimeSpan.FromSeconds(10), RecoveryProbes = VolumeProbes, VolumeProbeInterval = TimeSpan.FromMilliseconds(20),
                AfterRestore = TimeSpan.FromSeconds(10),
            }),

        new(ScenarioCatalog.Workload, "Power-off of an agent running the sample workload: its replicas are Ready elsewhere and the service VIP serves within the SLA",
            new ScenarioDefinition
            {
                Name = "agent-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.WorkloadAgent, WorkloadProbe = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(75), RecoveryProbes = ["workload-ready", "service-vip-tcp"],
            })
        {
            LabAgents = 1,
        },

        new(ScenarioCatalog.Client, "A client on the switch follows the service VIP's move by gratuitous ARP when its holder is powered off",
            new ScenarioDefinition
            {
                Name = "client-service-vip-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ServiceVipHolder, ClientProbe = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(30), RecoveryProbes = ["client-tcp", "service-vip-tcp", "vip-tcp"],
            }),
        new(ScenarioCatalog.Client, "Behind a switch's ARP guard a client loses the service VIP until its ARP cache expires, whatever the cluster does",
            new ScenarioDefinition
            {
                Name = "client-arp-guard-power-off", Fault = FaultKind.PowerOff, Target = TargetRole.ServiceVipHolder, ClientProbe = true, ArpGuard = true,
                MinimumHold = TimeSpan.FromSeconds(10), MaximumHold = TimeSpan.FromSeconds(75), RecoveryProbes = ["client-tcp", "service-vip-tcp", "vip-tcp"],
            }),
    ];

    [Test]
    public void The_default_campaign_holds_todays_scenarios_in_todays_order()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Campaign.Default.Scenarios.Select(s => s.Name), Is.EqualTo(Expected.Select(s => s.Name)));
            Assert.That(Campaign.Default.Suites, Is.EqualTo(ScenarioCatalog.Suites));
            Assert.That(Campaign.Default.Name, Is.EqualTo("default"));
            Assert.That(ScenarioCatalog.All, Is.SameAs(Campaign.Default.Scenarios));
        });
    }

    [TestCaseSource(nameof(ExpectedNames))]
    public void Every_field_of_a_default_scenario_is_what_the_catalog_table_said(string name)
    {
        var expected = Expected.Single(s => s.Name == name);
        var actual = Campaign.Default.Get(name);

        Assert.Multiple(() =>
        {
            // Records compare lists by reference: the lists are compared element-wise, the rest by value without them.
            Assert.That(Scalars(actual), Is.EqualTo(Scalars(expected)));
            Assert.That(actual.Definition.RecoveryProbes, Is.EqualTo(expected.Definition.RecoveryProbes));
            Assert.That(actual.Definition.ApplicationProbes, Is.EqualTo(expected.Definition.ApplicationProbes));
            Assert.That(actual.Sla, Is.EqualTo(expected.Sla));
            Assert.That(actual.DnsShape, Is.EqualTo(expected.DnsShape));
            Assert.That(actual.Definition.Trials, Is.EqualTo(1));
        });
    }

    [Test]
    public void The_shipped_copy_beside_the_program_is_the_embedded_default()
    {
        var copy = CampaignLoader.Load(Path.Combine(TestContext.CurrentContext.TestDirectory, "campaigns", "default.yaml"));

        Assert.That(copy.Scenarios.Select(Scalars), Is.EqualTo(Campaign.Default.Scenarios.Select(Scalars)));
    }

    private static IEnumerable<string> ExpectedNames() => Expected.Select(s => s.Name);

    private static CatalogScenario Scalars(CatalogScenario scenario) =>
        scenario with { Sla = null, Definition = scenario.Definition with { RecoveryProbes = NoNames, ApplicationProbes = NoProbes } };
}
