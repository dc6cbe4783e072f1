using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChaosEdge.Kubernetes;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Deploy;

/// <summary>
/// The example fleet (deploy/kubernetes: the fleet's objects and the n100-lab overlay) as kubectl renders it: each lab's
/// night runs once at a time and is never retried, without privileges, with its lab's files read-only, its journal on the
/// results volume and its lab reserved first; and the repository holds no secret.
/// </summary>
public sealed partial class KubernetesManifestsTests
{
    private IReadOnlyList<JsonObject> objects = [];

    private JsonObject Nightly => Object("CronJob", "chaosedge-nightly-n100-lab");

    private JsonObject LabSecret => objects.Single(o => Kind(o) == "Secret" && o.Name().StartsWith("chaosedge-lab-n100-lab-", StringComparison.Ordinal));

    [OneTimeSetUp]
    public async Task RenderAsync() => objects = (await DeployManifests.RenderAsync()).Objects;

    [Test]
    public void The_fleet_renders_its_objects_and_one_lab_all_in_the_chaosedge_namespace()
    {
        var rendered = objects.Select(o => $"{Kind(o)}/{o.Name()}").ToList();

        Assert.That(rendered, Is.EquivalentTo(new[]
        {
            "Namespace/chaosedge", "ServiceAccount/chaosedge", "Role/chaosedge-lab-reservations", "RoleBinding/chaosedge-lab-reservations",
            "PersistentVolumeClaim/chaosedge-results", "CronJob/chaosedge-trends", "CronJob/chaosedge-nightly-n100-lab", $"Secret/{LabSecret.Name()}",
        }));
        Assert.That(objects.Where(o => Kind(o) != "Namespace").Select(o => o.Namespace()), Is.All.EqualTo("chaosedge"));
        Assert.That(Object("PersistentVolumeClaim", "chaosedge-results").Text("spec.resources.requests.storage"), Is.EqualTo("20Gi"));
    }

    [Test]
    public void A_night_runs_once_at_a_time_is_never_retried_and_has_time_to_restore_on_SIGTERM()
    {
        var job = Nightly["spec"]!["jobTemplate"]!["spec"]!;

        Assert.Multiple(() =>
        {
            Assert.That(Nightly.Text("spec.concurrencyPolicy"), Is.EqualTo("Forbid"));
            Assert.That((int?)Nightly["spec"]!["startingDeadlineSeconds"], Is.Positive);
            Assert.That((int?)job["backoffLimit"], Is.Zero);
            Assert.That((int?)job["activeDeadlineSeconds"], Is.EqualTo(4 * 3600));
            Assert.That((int?)job["ttlSecondsAfterFinished"], Is.Positive);
            Assert.That(job.Text("template.spec.restartPolicy"), Is.EqualTo("Never"));
            Assert.That((int?)job["template"]!["spec"]!["terminationGracePeriodSeconds"], Is.GreaterThanOrEqualTo(15 * 60), "a restore's own bound (FaultSession)");
        });
    }

    [TestCase("chaosedge-nightly-n100-lab")]
    [TestCase("chaosedge-trends")]
    public void Every_pod_runs_as_the_images_user_without_privileges_on_a_read_only_root(string cronJob)
    {
        var pod = PodSpec(Object("CronJob", cronJob));
        var container = Container(Object("CronJob", cronJob));
        var tmp = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/tmp")!;

        Assert.Multiple(() =>
        {
            Assert.That((bool?)pod["securityContext"]!["runAsNonRoot"], Is.True);
            Assert.That(((int?)pod["securityContext"]!["runAsUser"], (int?)pod["securityContext"]!["fsGroup"]), Is.EqualTo((10001, 10001)));
            Assert.That(pod.Text("securityContext.seccompProfile.type"), Is.EqualTo("RuntimeDefault"));
            Assert.That((bool?)container["securityContext"]!["allowPrivilegeEscalation"], Is.False);
            Assert.That((bool?)container["securityContext"]!["readOnlyRootFilesystem"], Is.True);
            Assert.That(container["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string?)c), Is.EqualTo(new[] { "ALL" }));
            Assert.That(Volume(pod, (string)tmp["name"]!)["emptyDir"], Is.Not.Null, "a writable /tmp");
            Assert.That((Env(container, "HOME"), Env(container, "TMPDIR")), Is.EqualTo(("/tmp", "/tmp")));
        });
    }

    [Test]
    public void Every_CronJob_runs_the_image_the_fleet_sets()
    {
        var fleet = ManifestYaml.Parse(File.ReadAllText(Repository.Path("deploy", "kubernetes", "kustomization.yaml")), "kustomization.yaml").Single();
        var image = fleet["images"]!.AsArray().Single(i => (string?)i!["name"] == "chaosedge")!;

        Assert.That(objects.Where(o => Kind(o) == "CronJob").Select(o => (string?)Container(o)["image"]),
            Is.All.EqualTo($"{image["newName"]}:{image["newTag"]}"));
    }

    [Test]
    public void A_night_reserves_its_lab_in_cluster_with_the_fleets_service_account_which_may_hold_leases()
    {
        var role = Object("Role", "chaosedge-lab-reservations");
        var binding = Object("RoleBinding", "chaosedge-lab-reservations");
        var rule = role["rules"]!.AsArray().Single()!;

        Assert.Multiple(() =>
        {
            Assert.That(Script(Nightly), Does.Contain("--no-provision").And.Contain("--reserve-with in-cluster").And.Contain("--reserve-wait 30m"));
            Assert.That(PodSpec(Nightly).Text("serviceAccountName"), Is.EqualTo("chaosedge"));
            Assert.That(binding.Text("roleRef.name"), Is.EqualTo(role.Name()));
            Assert.That(binding["subjects"]!.AsArray().Select(s => (s!.Text("kind"), s.Text("name"), s.Text("namespace"))), Is.EqualTo(new[] { ("ServiceAccount", "chaosedge", "chaosedge") }));
            Assert.That(rule["apiGroups"]!.AsArray().Select(g => (string?)g), Is.EqualTo(new[] { "coordination.k8s.io" }));
            Assert.That(rule["resources"]!.AsArray().Select(r => (string?)r), Is.EqualTo(new[] { "leases" }));
            Assert.That(rule["verbs"]!.AsArray().Select(v => (string?)v), Is.EquivalentTo(new[] { "get", "list", "watch", "create", "update", "patch", "delete" }));
        });
    }

    [Test]
    public void The_shell_names_the_nights_directory_and_then_becomes_chaosedge_under_the_images_init()
    {
        var command = Container(Nightly)["command"]!.AsArray().Select(c => (string?)c).ToList();
        var init = Containerfile.Load().Entrypoint.SkipLast(1);

        Assert.That(command, Is.EqualTo(init.Concat(["/bin/sh", "-c"])));
        Assert.That(Script(Nightly), Does.StartWith("exec chaosedge nightly --inventory /etc/chaosedge/lab/lab.yaml "));
        Assert.That(Script(Nightly), Does.Contain("--out \"/results/${LAB:?").And.Contain("/$(date -u +%Y%m%dT%H%M%SZ)\""));
    }

    [Test]
    public void The_journal_and_the_nights_are_on_the_results_volume()
    {
        var container = Container(Nightly);
        var names = container["env"]!.AsArray().Select(e => (string?)e!["name"]).ToList();
        var results = container["volumeMounts"]!.AsArray().Single(m => Volume(PodSpec(Nightly), (string)m!["name"]!)["persistentVolumeClaim"] is not null)!;

        Assert.Multiple(() =>
        {
            Assert.That(Volume(PodSpec(Nightly), (string)results["name"]!).Text("persistentVolumeClaim.claimName"), Is.EqualTo("chaosedge-results"));
            Assert.That((string?)results["mountPath"], Is.EqualTo("/results"));
            Assert.That(Env(container, "LAB"), Is.EqualTo("n100-lab"));
            Assert.That(Env(container, "CHAOSEDGE_JOURNAL"), Is.EqualTo("/results/$(LAB)/.chaosedge/journal.json"));
            Assert.That(names.IndexOf("LAB"), Is.LessThan(names.IndexOf("CHAOSEDGE_JOURNAL")), "Kubernetes expands $(LAB) only from a variable defined before it");
        });
    }

    [Test]
    public void The_lab_Secret_is_mounted_read_only_laid_out_as_the_inventory_names_its_files()
    {
        var mount = Container(Nightly)["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/etc/chaosedge/lab")!;
        var secret = Volume(PodSpec(Nightly), (string)mount["name"]!)["secret"]!;
        var items = secret["items"]!.AsArray().ToDictionary(i => (string)i!["path"]!, i => (string)i!["key"]!);
        var inventory = Data(LabSecret)["lab.yaml"];
        var named = InventoryPath().Matches(inventory).Select(m => m.Groups["path"].Value).ToList();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)mount["readOnly"], Is.True);
            Assert.That((string?)secret["secretName"], Is.EqualTo(LabSecret.Name()));
            Assert.That((int?)secret["defaultMode"], Is.EqualTo(Convert.ToInt32("440", 8)));
            Assert.That(items.Values, Is.SubsetOf(Data(LabSecret).Keys), "every item is a key of the Secret");
            Assert.That(items.Keys, Is.SupersetOf(new[] { "lab.yaml", "kubeconfig" }), "the inventory, and the kubeconfig --no-provision reads beside it");
            Assert.That(named, Is.SupersetOf(new[] { "sla.yaml", "artifacts" }));
            Assert.That(named.Where(p => !items.Keys.Any(i => i == p || i.StartsWith(p + "/", StringComparison.Ordinal))), Is.Empty,
                "every file (and directory) the inventory names is where it names it");
        });
    }

    [Test]
    public void Every_secret_the_inventory_takes_from_the_environment_comes_from_the_lab_Secret()
    {
        var variables = InventoryEnv().Matches(Data(LabSecret)["lab.yaml"]).Select(m => m.Groups["name"].Value).Distinct().ToList();
        var env = Container(Nightly)["env"]!.AsArray();

        Assert.That(variables, Is.EquivalentTo(new[] { "N100_BMC_PASSWORD", "N100_K3S_TOKEN" }));
        foreach (var variable in variables)
        {
            var reference = env.Single(e => (string?)e!["name"] == variable)!["valueFrom"]?["secretKeyRef"];
            Assert.That((reference?.Text("name"), reference?.Text("key")), Is.EqualTo((LabSecret.Name(), variable)), variable);
            Assert.That(Data(LabSecret), Does.ContainKey(variable));
        }
    }

    [Test]
    public void The_nightly_container_has_its_resources_set()
    {
        var resources = Container(Nightly)["resources"]!;

        Assert.That((resources.Text("requests.cpu"), resources.Text("requests.memory"), resources.Text("limits.memory")), Is.EqualTo(("250m", "512Mi", "1536Mi")));
    }

    [Test]
    public void No_Secret_carries_a_private_key_and_the_examples_secrets_are_placeholders()
    {
        foreach (var secret in objects.Where(o => Kind(o) == "Secret"))
        {
            foreach (var (key, value) in Data(secret))
            {
                // Booleans, not the values: a failure must not print the secret it found.
                Assert.That(value.Contains("PRIVATE KEY", StringComparison.Ordinal), Is.False, $"Secret '{secret.Name()}', key '{key}' holds a private key");
            }
        }

        var placeholders = Directory.GetFiles(Repository.Path("deploy", "kubernetes", "labs", "n100-lab", "secrets")).Select(Path.GetFileName).Where(f => f is not ("README.md" or ".gitignore" or "lab.env"));
        var data = Data(LabSecret);
        foreach (var key in placeholders.Concat(InventoryEnv().Matches(data["lab.yaml"]).Select(m => m.Groups["name"].Value)))
        {
            Assert.That(data[key!].Contains("REPLACE", StringComparison.Ordinal), Is.True, $"'{key}' in the example lab's Secret is not a placeholder: a real secret must not be committed");
        }
    }

    [TestCase("lab.yaml")]
    [TestCase("sla.yaml")]
    public void The_example_overlay_carries_the_example_labs_file_unchanged(string file) =>
        Assert.That(File.ReadAllText(Repository.Path("deploy", "kubernetes", "labs", "n100-lab", file)),
            Is.EqualTo(File.ReadAllText(Repository.Path("provision", "examples", "n100-lab", file))), "kustomize reads only files below the overlay: this is a copy");

    [GeneratedRegex(@"\{ *env: *(?<name>[A-Za-z_][A-Za-z0-9_]*) *\}")]
    private static partial Regex InventoryEnv();

    [GeneratedRegex(@"\b(?:privateKey|knownHosts|sla|artifacts): *(?<path>[^\s,}#]+)")]
    private static partial Regex InventoryPath();

    private static string? Kind(JsonObject o) => (string?)o["kind"];

    private static JsonNode PodSpec(JsonObject cronJob) => cronJob["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!;

    private static JsonNode Container(JsonObject cronJob) => PodSpec(cronJob)["containers"]!.AsArray().Single(c => (string?)c!["name"] == "chaosedge")!;

    private static JsonNode Volume(JsonNode pod, string name) => pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == name)!;

    private static string? Env(JsonNode container, string name) => (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == name)!["value"];

    private static string Script(JsonObject cronJob) => (string)Container(cronJob)["args"]!.AsArray().Single()!;

    private static Dictionary<string, string> Data(JsonObject secret) =>
        (secret["data"] as JsonObject ?? []).ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String((string)p.Value!)), StringComparer.Ordinal);

    private JsonObject Object(string kind, string name) => objects.Single(o => Kind(o) == kind && o.Name() == name);
}
