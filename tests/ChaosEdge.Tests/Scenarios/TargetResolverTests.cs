using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Inventory;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;

namespace ChaosEdge.Tests.Scenarios;

/// <summary>The target resolver's choices that need no cluster: a named node, and the node of a Ready pod.</summary>
public sealed class TargetResolverTests
{
    private static readonly PodSelector NodeRed = new("default", "app=node-red");

    private static ScenarioDefinition Named(string? node, FaultKind fault = FaultKind.PowerOff) =>
        new() { Name = "named", Fault = fault, Target = TargetRole.Node, TargetNode = node };

    [Test]
    public void A_named_node_of_the_inventory_is_the_target()
    {
        Assert.That(TargetResolver.NamedNode(Lab(), Named("n2")), Is.EqualTo("n2"));
    }

    [Test]
    public void A_named_node_the_inventory_does_not_have_is_refused_with_the_nodes_it_has()
    {
        var thrown = Assert.Throws<ChaosEdgeException>(() => TargetResolver.NamedNode(Lab(), Named("edge-9")));

        Assert.That(thrown!.Message, Does.Contain("Scenario 'named' faults node 'edge-9'").And.Contain("it has 'n1', 'n2', 'n3', 'n4'."));
    }

    [Test]
    public void A_scenario_for_a_named_node_that_names_none_is_refused()
    {
        var thrown = Assert.Throws<ChaosEdgeException>(() => TargetResolver.NamedNode(Lab(), Named(null)));

        Assert.That(thrown!.Message, Does.Contain("faults a named node but names none").And.Contain("'n1', 'n2', 'n3', 'n4'"));
    }

    [Test]
    public void The_pod_node_is_the_first_by_name_among_the_nodes_of_Ready_pods()
    {
        var pods = new[] { ("red-a", "n3", true), ("red-b", "n1", false), ("red-c", "n2", true) };

        Assert.That(TargetResolver.PodNode("pods", NodeRed, pods), Is.EqualTo("n2"));
    }

    [Test]
    public void No_Ready_pod_is_a_clear_error_saying_what_matched()
    {
        var none = Assert.Throws<ChaosEdgeException>(() => TargetResolver.PodNode("pods", NodeRed, []));
        var notReady = Assert.Throws<ChaosEdgeException>(() => TargetResolver.PodNode("pods", NodeRed, [("red-a", "n1", false)]));

        Assert.Multiple(() =>
        {
            Assert.That(none!.Message, Does.Contain("matching 'app=node-red' in namespace 'default'; no pod matches."));
            Assert.That(notReady!.Message, Does.Contain("none of the 1 matching is Ready ('red-a' on 'n1')"));
        });
    }

    [Test]
    public void A_named_node_outside_etcd_has_no_target_for_an_etcd_member_loss()
    {
        var lab = Lab();
        static CatalogScenario Of(ScenarioDefinition definition) => new("Custom", "t", definition);

        Assert.Multiple(() =>
        {
            Assert.That(Of(Named("n4", FaultKind.KubeletStop)).TargetMissing(lab), Is.Null, "an agent runs K3s's agent");
            Assert.That(Of(Named("n4", FaultKind.EtcdMemberLoss)).TargetMissing(lab), Does.Contain("not one of this cluster's etcd members (n1, n2, n3)"));
            Assert.That(Of(Named("n4", FaultKind.PowerOff)).TargetMissing(lab), Is.Null);
            Assert.That(Of(Named("n1", FaultKind.KubeletStop)).TargetMissing(lab), Is.Null);
            Assert.That(Of(Named("edge-9", FaultKind.KubeletStop)).TargetMissing(lab), Is.Null, "a node not in the inventory is the resolver's error, not a skip");
        });
    }

    private static LabInventory Lab()
    {
        var text = new System.Text.StringBuilder("cluster:\n  name: t\n  runtime: lab\nnetwork:\n  subnet: 198.18.0.0/24\nnodes:\n");
        NodeRole[] roles = [NodeRole.Server, NodeRole.Server, NodeRole.Server, NodeRole.Agent];
        for (var i = 0; i < roles.Length; i++)
        {
            var role = roles[i].ToString().ToLowerInvariant();
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - name: n{i + 1}\n    address: 198.18.0.{11 + i}\n    role: {role}\n    interface: eth0\n    ssh:\n      user: root\n      privateKey: id_ed25519\n      hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n");
        }

        text.Append("controlPlane:\n  vip: 198.18.0.100\nservices:\n  vipPool:\n    - 198.18.0.200-198.18.0.209\n");
        var directory = Directory.CreateTempSubdirectory("ce-targets-").FullName;
        try
        {
            // Only the key file's existence is checked.
            File.WriteAllText(Path.Combine(directory, "id_ed25519"), "not a real key\n");
            return InventoryLoader.Parse(text.ToString(), "inventory.yaml", directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
