using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Provision.Runs;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.Provisioning;

/// <summary>
/// A lab named as a site names its machines (<c>n100-1…3</c> on <c>enp1s0</c>, the example inventory's naming): it
/// provisions, and a fault that takes the VIP holder's interface down is measured and restored on it. Nothing in the
/// harness may depend on the lab's own <c>edge-N</c> on <c>eth0</c>.
/// </summary>
[RequiresRoot]
[NonParallelizable]
public sealed class SiteNamedLabTests
{
    private static readonly LabShape Site = new(["n100-1", "n100-2", "n100-3"], "enp1s0");
    private ChaosEdge.Provision.VirtualLab.VirtualLab lab = null!;

    [OneTimeSetUp]
    public async Task BringUpLab()
    {
        RequiresRootAttribute.Ensure();
        lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cesite");
        await lab.DownAsync();
        await lab.UpAsync(Site);
    }

    [OneTimeTearDown]
    public async Task TearDownLab()
    {
        if (Environment.IsPrivilegedProcess)
        {
            await lab.DownAsync();
        }
    }

    [Test]
    public async Task The_lab_has_the_sites_names_and_refuses_to_be_reshaped_in_place()
    {
        var again = await lab.UpAsync(Site);
        var other = (await Assert.ThrowsAsync<ChaosEdgeException>(() => lab.UpAsync(3)))!;
        var inventory = ChaosEdge.Inventory.InventoryLoader.Load(lab.InventoryPath);
        await using var shell = new SshNodeShell(inventory.Nodes[1]);
        var identity = await shell.RunAsync("hostname; ip -o -4 addr show dev enp1s0");

        Assert.Multiple(() =>
        {
            Assert.That(again.Changed, Is.False);
            Assert.That(other.Message, Does.Contain("n100-1, n100-2, n100-3").And.Contain("enp1s0").And.Contain("edge-1"));
            Assert.That(inventory.Nodes.Select(n => (n.Name, n.Interface)), Is.EqualTo(Site.NodeNames.Select(n => (n, "enp1s0"))));
            Assert.That(identity.Stdout, Does.StartWith("n100-2\n").And.Contain(inventory.Nodes[1].Address.ToString()), identity.Stderr);
        });
    }

    [Test]
    public async Task A_shape_with_bad_names_is_refused_with_every_problem_before_anything_is_made()
    {
        var bad = new LabShape(["N100_1", "n100-2", "n100-2"], "this-name-is-too-long");

        var error = (await Assert.ThrowsAsync<ChaosEdgeException>(() => new ChaosEdge.Provision.VirtualLab.VirtualLab("cebad").UpAsync(bad)))!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain("'N100_1' is invalid").And.Contain("'n100-2' is given more than once").And.Contain("'this-name-is-too-long' is invalid"));
            Assert.That(Directory.Exists(new ChaosEdge.Provision.VirtualLab.VirtualLab("cebad").Directory), Is.False, "nothing was made");
        });
    }

    [Test]
    public async Task Nightly_provisions_the_site_named_lab_and_a_NIC_down_of_the_VIP_holder_passes_on_it()
    {
        var output = Directory.CreateTempSubdirectory("chaosedge-site-").FullName;
        var lines = new List<string>();
        try
        {
            var outcome = await new NightlyRun(
                new NightlyOptions { InventoryPath = lab.InventoryPath, Filter = "vip-holder-nic-down", OutputDirectory = output },
                new NightlyObserver(lines), new NightlyLines(lines)).RunAsync();

            var summary = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "nightly.json")))!;
            var scenario = (summary["scenarios"] as JsonArray)!.OfType<JsonObject>().Single();
            var record = await File.ReadAllTextAsync(Path.Combine(output, "scenarios", "vip-holder-nic-down", "run.json"));
            Assert.Multiple(() =>
            {
                Assert.That(outcome.ExitCode, Is.Zero, outcome.Reason + "\n" + string.Join('\n', lines.TakeLast(40)));
                Assert.That((string?)scenario["status"], Is.EqualTo("pass"));
                Assert.That(record, Does.Contain("n100-").And.Not.Contain("edge-1"), "the run names the site's nodes");
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
