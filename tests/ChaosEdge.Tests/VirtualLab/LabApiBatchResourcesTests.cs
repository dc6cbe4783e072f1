using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.Api;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>
/// The lab's API server stores and serves batch/v1 Jobs and CronJobs (ChaosEdge's own deployment is a CronJob per lab),
/// as kube-apiserver's discovery and tables describe them; it never runs them.
/// </summary>
public sealed class LabApiBatchResourcesTests
{
    [TestCase("jobs", "Job", "")]
    [TestCase("cronjobs", "CronJob", "cj")]
    public void Batch_v1_resources_are_served_namespaced_with_a_status_and_kubectls_short_names(string plural, string kind, string shortName)
    {
        string[] shortNames = shortName.Length == 0 ? [] : [shortName];
        var resource = new ResourceCatalog().Find("batch", "v1", plural);

        Assert.That(resource, Is.Not.Null);
        var discovery = resource!.Discovery();
        Assert.Multiple(() =>
        {
            Assert.That((resource.Kind, resource.ApiVersion, resource.Namespaced, resource.HasStatus), Is.EqualTo((kind, "batch/v1", true, true)));
            Assert.That(resource.ShortNames, Is.EqualTo(shortNames));
            Assert.That(discovery["shortNames"]!.AsArray().Select(n => (string?)n), Is.EqualTo(shortNames));
            Assert.That(discovery["verbs"]!.AsArray().Select(v => (string?)v), Is.SupersetOf(new[] { "create", "get", "list", "patch", "update", "delete", "watch" }));
            Assert.That(resource.Key("chaosedge", "nightly"), Is.EqualTo($"/registry/batch/{plural}/chaosedge/nightly"));
        });
    }

    [Test]
    public void Kubectl_get_cronjobs_shows_kube_apiservers_columns_with_nothing_scheduled()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero));
        var cronJob = JsonNode.Parse("""
            {"apiVersion":"batch/v1","kind":"CronJob",
             "metadata":{"name":"chaosedge-nightly-n100-lab","namespace":"chaosedge","creationTimestamp":"2026-12-01T05:00:00Z"},
             "spec":{"schedule":"0 1 * * *","timeZone":"Etc/UTC","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"chaosedge","image":"registry.example.com/chaosedge:0.1.0"}]}}}}}}
            """)!.AsObject();

        var table = Tables.Build(ResourceCatalog.CronJobs, [cronJob], "42", clock);

        var columns = table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]).ToList();
        var cells = table["rows"]![0]!["cells"]!.AsArray().Select(c => c?.ToString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(columns, Is.EqualTo(new[] { "Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images" }));
            Assert.That(cells, Is.EqualTo(new[] { "chaosedge-nightly-n100-lab", "0 1 * * *", "Etc/UTC", "False", "0", "<none>", "60m", "chaosedge", "registry.example.com/chaosedge:0.1.0" }));
        });
    }
}
