using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;
using ChaosEdge.Processes;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Cluster;

/// <summary>The provisioned lab cluster seen through the official tools and the harness's client: nothing here breaks it.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class ClusterApiTests
{
    [Test]
    public async Task Kubectl_through_the_VIP_shows_three_Ready_nodes_with_the_CA_verified()
    {
        var kubectl = Prerequisite.Program("kubectl", "kubernetes-client");
        var kubeconfig = await File.ReadAllTextAsync(ClusterLab.Provisioned.KubeconfigPath);
        Assert.That(ClusterLab.KubeConfig.Server, Is.EqualTo(new Uri($"https://{ClusterLab.Vip}:6443/")));
        Assert.That(kubeconfig, Does.Contain("certificate-authority-data").And.Not.Contain("insecure-skip-tls-verify"));

        var result = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", ClusterLab.Provisioned.KubeconfigPath, "get", "nodes", "--no-headers"], timeout: TimeSpan.FromSeconds(30));

        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        var rows = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.That(rows.Select(r => (r[0], r[1])), Is.EquivalentTo(new[] { ("edge-1", "Ready"), ("edge-2", "Ready"), ("edge-3", "Ready") }));
    }

    [Test]
    public async Task Kubectl_creates_gets_and_deletes_an_object()
    {
        var kubectl = Prerequisite.Program("kubectl", "kubernetes-client");
        var config = ClusterLab.Provisioned.KubeconfigPath;
        var manifest = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-kubectl","namespace":"default"},"data":{"k":"v"}}""";

        var create = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", config, "create", "--validate=false", "-f", "-"], manifest, TimeSpan.FromSeconds(30));
        var get = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", config, "get", "configmap", "from-kubectl", "-o", "jsonpath={.data.k}"], timeout: TimeSpan.FromSeconds(30));
        var delete = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", config, "delete", "configmap", "from-kubectl"], timeout: TimeSpan.FromSeconds(30));
        var gone = await ProcessRunner.RunAsync(kubectl, ["--kubeconfig", config, "get", "configmap", "from-kubectl"], timeout: TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(create.ExitCode, Is.Zero, create.Stderr);
            Assert.That(get.Stdout, Is.EqualTo("v"), get.Stderr);
            Assert.That(delete.ExitCode, Is.Zero, delete.Stderr);
            Assert.That(gone.ExitCode, Is.Not.Zero);
            Assert.That(gone.Stderr, Does.Contain("NotFound"));
        });
    }

    [Test]
    public async Task The_client_creates_updates_patches_and_deletes_and_a_watch_sees_each_change_in_order()
    {
        using var client = ClusterLab.Client();
        var ns = "watch-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(ResourcePath.Namespaces.For(), new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        var (existing, listVersion) = await client.ListAsync(ResourcePath.ConfigMaps.For(ns));
        Assert.That(existing, Is.Empty);

        var seen = new List<WatchEvent>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watching = Task.Run(async () =>
        {
            await foreach (var evt in client.WatchAsync(ResourcePath.ConfigMaps.For(ns), listVersion, cancellationToken: stop.Token))
            {
                if (evt.Type == "BOOKMARK")
                {
                    continue;
                }

                seen.Add(evt);
                if (evt.Type == "DELETED")
                {
                    return;
                }
            }
        });

        var path = ResourcePath.ConfigMaps.For(ns, "settings");
        var created = await client.CreateAsync(ResourcePath.ConfigMaps.For(ns), new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "settings", ["labels"] = new JsonObject { ["app"] = "probe" } },
            ["data"] = new JsonObject { ["a"] = "1" },
        });
        created["data"]!["a"] = "2";
        var replaced = await client.ReplaceAsync(path, created);
        await client.PatchAsync(path, new JsonObject { ["data"] = new JsonObject { ["b"] = "3" } });
        await client.PatchAsync(path, JsonNode.Parse("""[{"op":"replace","path":"/data/a","value":"4"}]""")!, "application/json-patch+json");
        var (selected, _) = await client.ListAsync(ResourcePath.ConfigMaps.For(ns), labelSelector: "app=probe");
        var (unselected, _) = await client.ListAsync(ResourcePath.ConfigMaps.For(ns), labelSelector: "app=other");
        var stale = (await Assert.ThrowsAsync<KubeApiException>(() => client.ReplaceAsync(path, created)))!;
        await client.DeleteAsync(path);
        await watching;

        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(e => e.Type), Is.EqualTo(new[] { "ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED" }));
            Assert.That(seen.Select(e => (string?)e.Object["data"]?["a"]), Is.EqualTo(new[] { "1", "2", "2", "4", "4" }));
            Assert.That((string?)seen[^1].Object["data"]?["b"], Is.EqualTo("3"));
            Assert.That(seen.Select(e => long.Parse(e.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)), Is.Ordered.Ascending);
            Assert.That(replaced.ResourceVersion(), Is.Not.EqualTo(created.ResourceVersion()));
            Assert.That(selected.Select(o => o.Name()), Is.EqualTo(new[] { "settings" }));
            Assert.That(unselected, Is.Empty);
            Assert.That(stale.IsConflict, Is.True, "an update from a stale resourceVersion is a conflict");
        });

        await client.DeleteAsync(ResourcePath.Namespaces.For(null, ns));
    }

    [Test]
    public async Task A_delete_succeeds_while_the_object_is_being_written_concurrently()
    {
        // A kubelet updating a pod's status while someone deletes it made the delete answer 409 Conflict (CI, 2026-11-22).
        using var client = ClusterLab.Client();
        var conflicts = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            var name = $"contended-{round}";
            var path = ResourcePath.ConfigMaps.For("default", name);
            await client.CreateAsync(ResourcePath.ConfigMaps.For("default"), new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["n"] = "0" } });
            using var stop = new CancellationTokenSource();
            var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writer = Task.Run(async () =>
            {
                using var own = ClusterLab.Client();
                for (var i = 1; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await own.PatchAsync(path, new JsonObject { ["data"] = new JsonObject { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
                        writing.TrySetResult();
                    }
                    catch (KubeApiException e) when (e.IsNotFound)
                    {
                        return i;
                    }
                }

                return 0;
            });
            await writing.Task.WaitAsync(TimeSpan.FromSeconds(30));
            try
            {
                await client.DeleteAsync(path);
            }
            catch (KubeApiException e) when ((int)e.Status == 409)
            {
                conflicts.Add($"round {round}: {e.Message}");
            }
            finally
            {
                await stop.CancelAsync();
            }

            Assert.That(await writer, Is.GreaterThan(1), "the writer was still writing when the object went");
        }

        Assert.That(conflicts, Is.Empty);
    }

    [Test]
    public async Task A_watch_from_a_compacted_revision_ends_with_410_Gone()
    {
        using var client = ClusterLab.Client();
        var (_, old) = await client.ListAsync(ResourcePath.ConfigMaps.For("default"));
        var path = ResourcePath.ConfigMaps.For("default", "compaction");
        await client.CreateAsync(ResourcePath.ConfigMaps.For("default"), new JsonObject { ["metadata"] = new JsonObject { ["name"] = "compaction" }, ["data"] = new JsonObject { ["n"] = "0" } });
        for (var i = 1; i <= 3; i++)
        {
            await client.PatchAsync(path, new JsonObject { ["data"] = new JsonObject { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        }

        var latest = (await client.GetAsync(path)).ResourceVersion();
        var compact = await ClusterLab.Shell("edge-1").RunAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {ChaosEdge.Health.HealthGate.EtcdctlFlags} compact {latest}");
        Assert.That(compact.ExitCode, Is.Zero, compact.Stderr);

        var error = (await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(ResourcePath.ConfigMaps.For("default"), old, timeout: TimeSpan.FromSeconds(10)))
            {
            }
        }))!;

        Assert.That(error.IsExpired, Is.True, $"expected 410 Gone, got {(int)error.Status}: {error.Message}");
        var fresh = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watching = Task.Run(async () =>
        {
            await foreach (var evt in client.WatchAsync(ResourcePath.ConfigMaps.For("default"), latest, cancellationToken: stop.Token))
            {
                fresh.Add(evt.Type);
                if (evt.Type == "DELETED")
                {
                    return;
                }
            }
        });
        await client.DeleteAsync(path);
        await watching;
        Assert.That(fresh, Does.Contain("DELETED"), "a watch from the compaction revision itself still works");
    }

    [Test]
    public async Task Custom_resources_are_served_once_their_definition_exists()
    {
        using var client = ClusterLab.Client();
        await client.CreateAsync(ResourcePath.CustomResourceDefinitions.For(), JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"volumes.test.chaosedge.io"},
             "spec":{"group":"test.chaosedge.io","scope":"Namespaced",
                     "names":{"plural":"volumes","singular":"volume","kind":"Volume"},
                     "versions":[{"name":"v1beta2","served":true,"storage":true,"subresources":{"status":{}},
                                  "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """)!.AsObject());
        var volumes = new ResourcePath("test.chaosedge.io", "v1beta2", "volumes");
        var collection = volumes.For("default");
        try
        {
            await Waiting.Wait.UntilAsync("The custom resource 'volumes.test.chaosedge.io'", "be served", async token =>
            {
                var (status, body) = await client.GetRawAsync(collection.ToString(), token);
                return (status == HttpStatusCode.OK, $"{(int)status} {body}");
            }, TimeSpan.FromSeconds(20));

            await client.CreateAsync(collection, JsonNode.Parse("""{"apiVersion":"test.chaosedge.io/v1beta2","kind":"Volume","metadata":{"name":"pvc-1"},"spec":{"numberOfReplicas":3}}""")!.AsObject());
            await client.PatchAsync(volumes.For("default", "pvc-1").Status, new JsonObject { ["status"] = new JsonObject { ["robustness"] = "healthy" } });
            var volume = await client.GetAsync(volumes.For("default", "pvc-1"));
            var (all, _) = await client.ListAsync(volumes.For());

            Assert.Multiple(() =>
            {
                Assert.That((int?)volume["spec"]?["numberOfReplicas"], Is.EqualTo(3));
                Assert.That(volume.Text("status.robustness"), Is.EqualTo("healthy"));
                Assert.That(all.Select(v => v.Name()), Is.EqualTo(new[] { "pvc-1" }));
            });
            await client.DeleteAsync(volumes.For("default", "pvc-1"));
        }
        finally
        {
            await client.DeleteAsync(ResourcePath.CustomResourceDefinitions.For(name: "volumes.test.chaosedge.io"));
        }
    }

    [Test]
    public async Task Etcdctl_shows_three_started_and_healthy_members()
    {
        var shell = ClusterLab.Shell("edge-1");
        var endpoints = string.Join(',', ClusterLab.Inventory.Servers.Select(s => $"https://{s.Address}:2379"));

        var members = await shell.RunAsync($"ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 {ChaosEdge.Health.HealthGate.EtcdctlFlags} member list -w json");
        var health = await shell.RunAsync($"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {ChaosEdge.Health.HealthGate.EtcdctlFlags} endpoint health -w json");

        Assert.That(members.ExitCode, Is.Zero, members.Stderr);
        var list = JsonNode.Parse(members.Stdout)!["members"]!.AsArray();
        Assert.That(list.Select(m => (string?)m!["name"]), Is.EquivalentTo(new[] { "edge-1", "edge-2", "edge-3" }), "every member has started (an unstarted one has no name)");
        Assert.That(health.ExitCode, Is.Zero, health.Stdout + health.Stderr);
        var checks = JsonSerializer.Deserialize<JsonArray>(health.Stdout)!;
        Assert.That(checks.Select(c => (bool?)c!["health"]).ToList(), Has.Count.EqualTo(3).And.All.True);
    }

    [Test]
    public async Task Provisioning_again_changes_nothing_and_says_so()
    {
        var lines = new List<string>();
        await using var provisioner = new ClusterProvisioner(ClusterLab.Inventory);

        var result = await provisioner.ProvisionAsync(new SynchronousProgress(lines.Add));

        Assert.That(result.Changes, Is.Empty);
        Assert.That(lines[^1], Does.Contain("nothing changed"));
    }

    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
