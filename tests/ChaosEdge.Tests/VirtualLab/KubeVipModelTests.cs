using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.NodeRuntime.Controller;
using ChaosEdge.NodeRuntime.KubeVip;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>
/// The lab's kube-vip model reads its settings as kube-vip does, and the lab's kubelet runs the manifest ChaosEdge
/// generates for K3s unchanged: the image is modelled, nothing else without a command is run.
/// </summary>
public sealed class KubeVipModelTests
{
    private static readonly Dictionary<string, string> Manifest = new(StringComparer.Ordinal)
    {
        ["vip_arp"] = "true", ["port"] = "6443", ["vip_nodename"] = "n100-2", ["vip_interface"] = "enp1s0", ["vip_subnet"] = "32",
        ["cp_enable"] = "true", ["cp_namespace"] = "kube-system", ["svc_enable"] = "false", ["vip_leaderelection"] = "true",
        ["address"] = "198.18.0.100",
    };

    [Test]
    public void Settings_absent_from_the_environment_take_kube_vips_own_defaults()
    {
        var config = KubeVipConfig.FromEnvironment(Manifest);

        Assert.Multiple(() =>
        {
            Assert.That(config.LeaseName, Is.EqualTo("plndr-cp-lock"));
            Assert.That(config.Namespace, Is.EqualTo("kube-system"));
            Assert.That((config.LeaseDuration, config.RenewDeadline, config.RetryPeriod), Is.EqualTo((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1))));
            Assert.That(config.ArpRate, Is.EqualTo(TimeSpan.FromMilliseconds(3000)));
            Assert.That((config.NodeName, config.Interface, config.Subnet, config.Address.ToString()), Is.EqualTo(("n100-2", "enp1s0", 32, "198.18.0.100")));
        });
    }

    [Test]
    public void Every_setting_the_model_cannot_honour_is_named_at_once()
    {
        var environment = new Dictionary<string, string>(Manifest, StringComparer.Ordinal) { ["address"] = "api.example", ["svc_enable"] = "true", ["vip_leaseduration"] = "3", ["vip_renewdeadline"] = "3" };
        environment.Remove("vip_interface");

        var error = Assert.Throws<ArgumentException>(() => KubeVipConfig.FromEnvironment(environment))!;

        Assert.That(error.Message, Does.Contain("address='api.example' is not an IP address").And.Contain("svc_enable").And.Contain("no vip_interface")
            .And.Contain("leaseDuration must be greater than renewDeadline"));
    }

    [Test]
    public void The_kube_vip_image_without_a_command_runs_the_labs_model_with_the_containers_args()
    {
        var container = new JsonObject { ["name"] = "kube-vip", ["image"] = "ghcr.io/kube-vip/kube-vip:v1.2.3", ["args"] = new JsonArray("manager") };
        var withCommand = new JsonObject { ["name"] = "app", ["image"] = "busybox", ["command"] = new JsonArray("sh", "-c"), ["args"] = new JsonArray("echo hi") };

        Assert.Multiple(() =>
        {
            Assert.That(LabImages.CommandOf(container), Is.EqualTo(new[] { "/usr/local/bin/k3s", "kube-vip", "manager" }));
            Assert.That(LabImages.CommandOf(withCommand), Is.EqualTo(new[] { "sh", "-c", "echo hi" }));
            Assert.That(LabImages.Repository("ghcr.io/kube-vip/kube-vip@sha256:abc"), Is.EqualTo("ghcr.io/kube-vip/kube-vip"));
            Assert.That(LabImages.Repository("registry:5000/kube-vip"), Is.EqualTo("registry:5000/kube-vip"));
        });
    }

    [Test]
    public void A_manifest_with_an_image_the_lab_cannot_run_is_named_with_its_object_and_container()
    {
        var objects = ManifestYaml.Parse("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: { name: speaker, namespace: metallb-system }
            spec:
              template:
                spec:
                  containers:
                    - name: speaker
                      image: quay.io/frrouting/frr:9.1.0
                      args: ["--port=7472"]
            """, "metallb.yaml");

        var problems = LabImages.Problems(objects, "/var/lib/rancher/k3s/server/manifests/metallb.yaml");

        Assert.That(problems.Single(), Does.StartWith("'/var/lib/rancher/k3s/server/manifests/metallb.yaml': DaemonSet 'speaker': container 'speaker' (image 'quay.io/frrouting/frr:9.1.0') has no command")
            .And.Contain("ghcr.io/kube-vip/kube-vip"));
    }

    [Test]
    public void A_daemonset_selects_nodes_by_required_node_affinity_as_kube_vips_manifest_writes_it()
    {
        var spec = JsonNode.Parse("""
            {"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
              {"matchExpressions":[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists"}]},
              {"matchExpressions":[{"key":"zone","operator":"In","values":["a"]},{"key":"spare","operator":"DoesNotExist"}]}]}}}}
            """);
        static JsonObject Node(params (string Key, string Value)[] labels) => new()
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
        };

        Assert.Multiple(() =>
        {
            Assert.That(ControllerManager.Admits(spec, Node(("node-role.kubernetes.io/control-plane", "true"))), Is.True);
            Assert.That(ControllerManager.Admits(spec, Node(("zone", "a"))), Is.True, "terms are ORed");
            Assert.That(ControllerManager.Admits(spec, Node(("zone", "a"), ("spare", "yes"))), Is.False, "expressions are ANDed");
            Assert.That(ControllerManager.Admits(spec, Node()), Is.False);
            Assert.That(ControllerManager.Admits(new JsonObject(), Node()), Is.True, "no affinity: every node");
        });
    }
}
