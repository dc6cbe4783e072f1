using System.Text.Json;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>Labs coming and going: nothing may remain of a lab after <c>down</c>, whatever state it was left in.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LabLifecycleTests
{
    [Test]
    public async Task Down_leaves_nothing_behind()
    {
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cegone");
        await lab.DownAsync();
        await lab.UpAsync(3);
        Assert.That(Remains("cegone"), Is.Not.Empty, "the lab must exist before it is taken down");

        await lab.DownAsync();

        Assert.That(Remains("cegone"), Is.Empty);
    }

    [Test]
    public async Task Down_cleans_up_after_an_up_that_crashed_halfway()
    {
        var names = new LabNames("cecrash");
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cecrash");
        await lab.DownAsync();

        // What a harness killed in the middle of 'up' leaves: a bridge, a namespace with a live process in the
        // node's cgroup, a veth, a half-written lab directory, and no state file.
        await Ip("link", "add", names.Bridge, "type", "bridge");
        await Ip("netns", "add", names.Namespace("edge-1"));
        await Ip("link", "add", names.HostLink(1), "type", "veth", "peer", "name", "eth0", "netns", names.Namespace("edge-1"));
        var cgroup = NodeCgroup.Create("cecrash", "edge-1");
        await ProcessRunner.RunAsync("sh", ["-c", $"exec setsid -f sh -c 'echo $$ > {cgroup.ProcsFile}; exec ip netns exec {names.Namespace("edge-1")} sleep 600' </dev/null >/dev/null 2>&1"]);
        Directory.CreateDirectory(Path.Combine(lab.Directory, "keys"));
        await Task.Delay(200);
        Assert.That(cgroup.Processes(), Is.Not.Empty);

        await lab.DownAsync();

        Assert.That(Remains("cecrash"), Is.Empty);
    }

    [Test]
    public async Task Up_after_a_crash_rebuilds_a_working_lab()
    {
        var lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("ceredo");
        await lab.DownAsync();
        await lab.UpAsync(1);
        var status = await lab.StatusAsync();
        await NodeCgroup.KillAllAsync(NodeCgroup.Of("ceredo", "edge-1").Path);
        Assert.That((await lab.StatusAsync()).Healthy, Is.False, "a node whose sshd was killed is not healthy");

        try
        {
            var result = await lab.UpAsync(1);

            Assert.That(result.Changed, Is.True);
            Assert.That(result.Status.Healthy, Is.True);
            Assert.That(result.Status.State!.Nodes[0].HostKeyFingerprint, Is.EqualTo(status.State!.Nodes[0].HostKeyFingerprint), "host keys are kept, so pinned inventories stay valid");
        }
        finally
        {
            await lab.DownAsync();
        }
    }

    [Test]
    public async Task Two_labs_with_different_names_exist_side_by_side()
    {
        var one = new ChaosEdge.Provision.VirtualLab.VirtualLab("ceside1");
        var two = new ChaosEdge.Provision.VirtualLab.VirtualLab("ceside2");
        await one.DownAsync();
        await two.DownAsync();
        try
        {
            var a = await one.UpAsync(1);
            var b = await two.UpAsync(2);
            Assert.That(a.Status.State!.Subnet, Is.Not.EqualTo(b.Status.State!.Subnet));

            foreach (var lab in new[] { one, two })
            {
                foreach (var node in InventoryLoader.Load(lab.InventoryPath).Nodes)
                {
                    await using var shell = new SshNodeShell(node);
                    Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo(node.Name));
                }
            }

            await one.DownAsync();
            Assert.That((await two.StatusAsync()).Healthy, Is.True, "taking one lab down leaves the other untouched");
            var route = await ProcessRunner.RunAsync("ip", ["route", "show", "type", "unreachable"]);
            Assert.That(route.Stdout, Does.Contain("198.18.0.0/15"), "the shared unreachable route stays while a lab exists");
        }
        finally
        {
            await one.DownAsync();
            await two.DownAsync();
        }

        Assert.That(Remains("ceside1").Concat(Remains("ceside2")), Is.Empty);
    }

    [Test]
    public async Task The_cli_brings_a_lab_up_reports_it_as_json_and_takes_it_down()
    {
        List<int> labProcesses = [];
        var up = await Cli("lab", "up", "--name", "cecli", "--nodes", "2");
        Assert.That(up.ExitCode, Is.Zero, up.Stderr);
        Assert.That(up.Stderr, Does.Contain("Lab 'cecli' is up: 2 nodes"));
        try
        {
            var status = await Cli("lab", "status", "--name", "cecli", "--json");
            Assert.That(status.ExitCode, Is.Zero, status.Stderr);
            using var json = JsonDocument.Parse(status.Stdout);
            var root = json.RootElement;
            Assert.That(root.GetProperty("healthy").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("nodes").GetArrayLength(), Is.EqualTo(2));
            Assert.That(root.GetProperty("state").GetProperty("controlPlaneVip").GetString(), Does.StartWith("198.18."));
            Assert.That(root.GetProperty("state").GetProperty("nodes")[0].GetProperty("hostKeyFingerprint").GetString(), Does.StartWith("SHA256:"));
            var cluster = root.GetProperty("cluster");
            Assert.That(cluster.GetProperty("provisioned").GetBoolean(), Is.False, "a lab that was only brought up");
            Assert.That(cluster.GetProperty("healthy").GetBoolean(), Is.False);
            Assert.That(cluster.TryGetProperty("kubeconfigPath", out _), Is.False, "no kubeconfig before provisioning");
            var inventory = root.GetProperty("inventoryPath").GetString()!;

            // Something that entered a node's namespace without joining its cgroup (an engineer's shell, say): 'lab
            // down' must end it too, and return only once it and the node's own processes have exited.
            var names = new LabNames("cecli");
            using var stray = System.Diagnostics.Process.Start("ip", ["netns", "exec", names.Namespace("edge-1"), "sleep", "300"]);
            var before = NodeCgroup.Of("cecli", "edge-1").Processes().Append(stray.Id).ToList();
            Assert.That(before, Has.Count.GreaterThan(1));
            labProcesses = before;

            var exec = await Cli("exec", "--inventory", inventory, "--node", "edge-2", "--", "hostname");
            Assert.That(exec.ExitCode, Is.Zero, exec.Stderr);
            Assert.That(exec.Stdout.Trim(), Is.EqualTo("edge-2"));

            var check = await Cli("inventory", "check", "--inventory", inventory);
            Assert.That(check.ExitCode, Is.Zero, check.Stderr);
        }
        finally
        {
            var down = await Cli("lab", "down", "--name", "cecli");
            Assert.That(down.ExitCode, Is.Zero, down.Stderr);
        }

        var alive = labProcesses.Where(p => File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Split(") ")[1].StartsWith('Z')).ToList();
        Assert.That(alive, Is.Empty, "every process of the lab has exited when 'lab down' returns");
        var after = await Cli("lab", "status", "--name", "cecli");
        Assert.That(after.ExitCode, Is.EqualTo(2));
        Assert.That(after.Stdout, Does.Contain("Lab 'cecli' does not exist."));
        Assert.That(Remains("cecli"), Is.Empty);
    }

    [Test]
    public async Task The_cli_reports_an_invalid_inventory_in_one_message_with_exit_code_2()
    {
        var directory = Directory.CreateTempSubdirectory("ce-cli-").FullName;
        try
        {
            var file = Path.Combine(directory, "lab.yaml");
            await File.WriteAllTextAsync(file, "cluster:\n  name: Bad_Name\n");
            var result = await Cli("inventory", "check", "--inventory", file);
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.Stderr, Does.Contain($"{file}:2:9 cluster.name: 'Bad_Name' is not a valid name"));
            Assert.That(result.Stderr, Does.Contain($"{file}:1:1 network: is required."));
            Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace for a user's mistake");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Everything of a lab that could remain on the host, described; empty when nothing does.</summary>
    private static List<string> Remains(string lab)
    {
        var names = new LabNames(lab);
        var remains = new List<string>();
        if (Directory.Exists("/run/netns"))
        {
            remains.AddRange(Directory.GetFiles("/run/netns").Select(Path.GetFileName).Where(n => n!.StartsWith(names.MemberPrefix, StringComparison.Ordinal)).Select(n => "namespace " + n));
        }

        remains.AddRange(Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName)
            .Where(n => n == names.Bridge || n!.StartsWith(names.MemberPrefix, StringComparison.Ordinal)).Select(n => "link " + n));
        if (Directory.Exists(NodeCgroup.LabPath(lab)))
        {
            remains.Add("cgroup " + NodeCgroup.LabPath(lab));
        }

        if (NodeCgroup.LabCpuPath(lab) is { } cpu && Directory.Exists(cpu))
        {
            remains.Add("cpu cgroup " + cpu);
        }

        var directory = new ChaosEdge.Provision.VirtualLab.VirtualLab(lab).Directory;
        if (Directory.Exists(directory))
        {
            remains.Add("directory " + directory);
        }

        foreach (var process in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains($"/labs/{lab}/", StringComparison.Ordinal) || commandLine.Contains(names.MemberPrefix, StringComparison.Ordinal))
                {
                    remains.Add($"process {Path.GetFileName(process)}: {commandLine}");
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return remains;
    }

    private static Task Ip(params string[] arguments) => ProcessRunner.RunAsync("ip", arguments);

    private static Task<ProcessResult> Cli(params string[] arguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "chaosedge.dll");
        return ProcessRunner.RunAsync("dotnet", [cli, .. arguments], timeout: TimeSpan.FromMinutes(2));
    }
}
