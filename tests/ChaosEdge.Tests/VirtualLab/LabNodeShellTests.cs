using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Processes;
using ChaosEdge.Provision.VirtualLab;
using ChaosEdge.Ssh;
using ChaosEdge.Tests.Support;

namespace ChaosEdge.Tests.VirtualLab;

/// <summary>A 3-node virtual lab reached through the harness's node shell, exactly as hardware is reached.</summary>
[RequiresRoot]
[NonParallelizable]
public sealed class LabNodeShellTests
{
    private ChaosEdge.Provision.VirtualLab.VirtualLab lab = null!;
    private LabInventory inventory = null!;
    private readonly List<SshNodeShell> shells = [];

    [OneTimeSetUp]
    public async Task BringUpLab()
    {
        RequiresRootAttribute.Ensure();
        lab = new ChaosEdge.Provision.VirtualLab.VirtualLab("cetest");
        await lab.DownAsync();
        var result = await lab.UpAsync(3);
        Assert.That(result.Status.Healthy, Is.True);
        inventory = InventoryLoader.Load(lab.InventoryPath);
        foreach (var node in inventory.Nodes)
        {
            shells.Add(new SshNodeShell(node));
        }
    }

    [OneTimeTearDown]
    public async Task TearDownLab()
    {
        foreach (var shell in shells)
        {
            await shell.DisposeAsync();
        }

        if (Environment.IsPrivilegedProcess)
        {
            await lab.DownAsync();
        }
    }

    [TestCase("control-group")]
    [TestCase("process")]
    public async Task A_unit_with_Restart_always_comes_back_after_its_process_dies_and_stays_down_when_stopped(string killMode)
    {
        // systemd restarts a unit whose main process dies (K3s's and keepalived's units say Restart=always); a lab node
        // must too, or one crash leaves the service dead for good.
        var shell = shells[1];
        var unit = $"ce-restart-{killMode}";
        await shell.RunCheckedAsync($"printf '[Service]\\nKillMode={killMode}\\nRestart=always\\nRestartSec=0.2\\nExecStart=/bin/sleep 7301\\n' > /etc/systemd/system/{unit}.service && systemctl start {unit}");
        try
        {
            var first = (await shell.RunCheckedAsync($"systemctl status {unit}")).Stdout;
            var pid = first.Split(' ')[^1].Trim();
            await shell.RunCheckedAsync($"kill -9 {pid}");
            var again = string.Empty;
            await Waiting.Wait.UntilAsync($"Unit {unit}", "be restarted", async token =>
            {
                again = (await shell.RunAsync($"systemctl status {unit}", cancellationToken: token)).Stdout.Trim();
                return (again.Contains("active (running)", StringComparison.Ordinal) && !again.EndsWith(" " + pid, StringComparison.Ordinal), again);
            }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);

            await shell.RunCheckedAsync($"systemctl stop {unit}");
            await Task.Delay(TimeSpan.FromSeconds(1));

            var stopped = await shell.RunAsync($"systemctl is-active {unit}; pgrep -f '^/bin/sleep 7301' || echo none");
            Assert.That(stopped.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Is.EqualTo(new[] { "inactive", "none" }));
            Assert.That((await shell.RunAsync($"cat /var/log/{unit}.log")).Stdout, Does.Contain("Restart=always starts it again"));
        }
        finally
        {
            await shell.RunAsync($"systemctl stop {unit}; rm -f /etc/systemd/system/{unit}.service /var/log/{unit}.log");
        }
    }

    [Test]
    public async Task Every_node_answers_through_the_node_shell_with_its_own_name()
    {
        foreach (var shell in shells)
        {
            var result = await shell.RunAsync("hostname; echo to-stderr >&2; exit 7");
            Assert.Multiple(() =>
            {
                Assert.That(result.Stdout.Trim(), Is.EqualTo(shell.NodeName));
                Assert.That(result.Stderr.Trim(), Is.EqualTo("to-stderr"));
                Assert.That(result.ExitCode, Is.EqualTo(7));
                Assert.That(result.Duration, Is.GreaterThan(TimeSpan.Zero));
            });
        }
    }

    [Test]
    public async Task Each_node_sees_only_its_own_address()
    {
        foreach (var node in inventory.Nodes)
        {
            var shell = shells.Single(s => s.NodeName == node.Name);
            var result = await shell.RunCheckedAsync("ip -o -4 addr show | awk '{print $4}'");
            var addresses = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(addresses, Is.EquivalentTo(new[] { "127.0.0.1/8", $"{node.Address}/24" }), node.Name);
        }
    }

    [Test]
    public async Task Nodes_reach_each_other_over_the_bridge_and_nothing_beyond_it()
    {
        var first = shells[0];
        var other = inventory.Nodes[1];
        var reach = await first.RunAsync($"timeout 2 sh -c 'echo > /dev/tcp/{other.Address}/22' 2>&1 || bash -c 'exec 3<>/dev/tcp/{other.Address}/22' && echo reached");
        Assert.That(reach.Stdout, Does.Contain("reached"), reach.Stderr);

        var routes = await first.RunCheckedAsync("ip -4 route show");
        Assert.That(routes.Stdout, Does.Not.Contain("default"), "a lab node has no way out");

        var unreachable = await ProcessRunner.RunAsync("ip", ["route", "show", "type", "unreachable"]);
        Assert.That(unreachable.Stdout, Does.Contain("198.18.0.0/15"));
        var host = await ProcessRunner.RunAsync("ip", ["route", "get", "198.18.255.1"]);
        Assert.That(host.ExitCode, Is.Not.Zero, "lab addresses outside a lab's subnet are unreachable from the harness host");
        Assert.That(host.Stderr, Does.Contain("No route to host"));
    }

    [Test]
    public async Task A_failing_command_throws_with_node_command_exit_code_and_output()
    {
        var error = (await Assert.ThrowsAsync<NodeCommandFailedException>(() => shells[0].RunCheckedAsync("echo partial; echo broken >&2; exit 3")))!;
        Assert.That(error.Message, Is.EqualTo(
            "Command on node 'edge-1' failed with exit code 3.\n" +
            "  node: edge-1\n" +
            "  command: echo partial; echo broken >&2; exit 3\n" +
            "  exit code: 3\n" +
            "  stdout:\n    partial\n" +
            "  stderr:\n    broken"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Secrets_in_a_command_never_reach_the_exception()
    {
        var options = new NodeCommandOptions { Secrets = ["K10-join-token-value"] };
        var error = (await Assert.ThrowsAsync<NodeCommandFailedException>(() => shells[0].RunCheckedAsync("echo K10-join-token-value; exit 1", options)))!;
        Assert.That(error.Message, Does.Not.Contain("K10-join-token-value"));
        Assert.That(error.Command, Is.EqualTo("echo ***; exit 1"));
        Assert.That(error.Stdout.Trim(), Is.EqualTo("***"));
    }

    [Test]
    public async Task A_command_past_its_timeout_is_killed_on_the_node()
    {
        var shell = shells[1];
        var options = new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(1) };
        var error = (await Assert.ThrowsAsync<NodeCommandTimeoutException>(() => shell.RunAsync("sleep 47; echo never", options)))!;
        Assert.That(error.Message, Does.StartWith("Command on node 'edge-2' did not finish within 00:00:01."));
        // Live processes only: a killed process stays a zombie until the host's init reaps it.
        var processes = await shell.RunCheckedAsync("ps -eo stat=,args=");
        var alive = processes.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.EndsWith(" sleep 47", StringComparison.Ordinal) && !l.StartsWith('Z'));
        Assert.That(alive, Is.Empty, "the command must not outlive its timeout on the node");
    }

    [Test]
    public async Task Cancellation_stops_a_command()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.That(async () => await shells[2].RunAsync("sleep 30", null, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        await Task.CompletedTask;
    }

    [Test]
    public async Task A_cancelled_command_is_ended_on_the_node()
    {
        var shell = shells[2];
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        Assert.That(async () => await shell.RunAsync("sleep 53; echo never", null, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await LiveProcessesAsync(shell, " sleep 53", TimeSpan.FromSeconds(3)), Is.Empty, "the command must not outlive its cancellation on the node");
    }

    [Test]
    public async Task Ending_a_stream_early_ends_its_command_on_the_node()
    {
        var shell = shells[0];
        await foreach (var line in shell.StreamLinesAsync("echo started; exec sleep 57"))
        {
            Assert.That(line, Is.EqualTo("started"));
            break;
        }

        Assert.That(await LiveProcessesAsync(shell, " sleep 57", TimeSpan.FromSeconds(3)), Is.Empty, "leaving the enumeration must end the command");
    }

    [Test]
    public async Task A_lost_connection_is_reported_and_re_established_by_the_next_command()
    {
        var node = inventory.Nodes[1];
        var logger = new RecordingLogger();
        await using var shell = new SshNodeShell(node, new NodeShellOptions { Logger = logger });
        Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-2"));

        // What a node's reboot does to the connection: every sshd session process ends (the listener stays).
        KillSshSessions(node.Name);

        Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-2"));
        Assert.Multiple(() =>
        {
            Assert.That(shell.Connections, Is.EqualTo(2), "one reconnection");
            Assert.That(logger.Lines.Where(l => l.Event == "SshConnectionLost").Select(l => l.Message), Has.Exactly(1).StartsWith($"The SSH connection to node 'edge-2' ({node.Address}) was lost: "));
        });
    }

    [Test]
    public async Task Commands_past_the_channel_limit_wait_for_a_channel_on_the_one_connection()
    {
        var node = inventory.Nodes[2];
        await using var shell = new SshNodeShell(node, new NodeShellOptions { MaxChannels = 3 });
        var stream = Task.Run(async () =>
        {
            var lines = new List<string>();
            await foreach (var line in shell.StreamLinesAsync("for i in 1 2 3; do echo s$i; sleep 0.2; done"))
            {
                lines.Add(line);
            }

            return lines;
        });
        var commands = Enumerable.Range(0, 12).Select(i => shell.RunCheckedAsync($"sleep 0.1; echo {i}")).ToList();
        var local = Path.GetTempFileName();
        await File.WriteAllTextAsync(local, "uploaded alongside\n");
        try
        {
            await shell.UploadAsync(local, "/tmp/chaosedge-channel-test");
            var outputs = await Task.WhenAll(commands);
            Assert.That(outputs.Select(o => o.Stdout.Trim()), Is.EqualTo(Enumerable.Range(0, 12).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            Assert.That(await stream, Is.EqualTo(new[] { "s1", "s2", "s3" }));
            Assert.That((await shell.RunCheckedAsync("cat /tmp/chaosedge-channel-test && rm /tmp/chaosedge-channel-test")).Stdout, Is.EqualTo("uploaded alongside\n"));
            Assert.That(shell.Connections, Is.EqualTo(1));
        }
        finally
        {
            File.Delete(local);
        }
    }

    [Test]
    public async Task A_node_behind_a_jump_host_is_reached_through_it_and_its_own_key_is_still_verified()
    {
        var bastion = inventory.Nodes[0];
        var target = inventory.Nodes[2];
        var jump = new JumpHostSpec(bastion.Address.ToString(), bastion.Ssh);
        await using (var shell = new SshNodeShell(target with { Ssh = target.Ssh with { JumpHost = jump } }))
        {
            Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-3"));

            // The node sees its SSH client at the jump host's address, not the harness's.
            var peers = await shell.RunCheckedAsync($"ss -Htn state established '( sport = :22 )' | awk '{{print $4}}'");
            Assert.That(peers.Stdout, Does.Contain($"{bastion.Address}:"));
        }

        const string Wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var tampered = target with { Ssh = target.Ssh with { HostKeyFingerprint = Wrong, JumpHost = jump } };
        var error = (await Assert.ThrowsAsync<HostKeyMismatchException>(async () =>
        {
            await using var shell = new SshNodeShell(tampered);
            await shell.RunAsync("echo must-not-run");
        }))!;
        Assert.That(error.Presented, Is.EqualTo(target.Ssh.HostKeyFingerprint), "the node's key, presented through the jump host");
    }

    [Test]
    public async Task A_hashed_known_hosts_entry_verifies_the_node()
    {
        var node = inventory.Nodes[2];
        var directory = Directory.CreateTempSubdirectory("ce-known-hosts-").FullName;
        try
        {
            // The key the node presents, recorded by trust-on-first-use, then rewritten as 'ssh-keygen -H' would.
            var knownHosts = Path.Combine(directory, "known_hosts");
            var tofu = node with { Ssh = node.Ssh with { HostKeyFingerprint = null, KnownHostsPath = knownHosts, TrustOnFirstUse = true } };
            await using (var shell = new SshNodeShell(tofu))
            {
                await shell.RunCheckedAsync("true");
            }

            var fields = (await File.ReadAllTextAsync(knownHosts)).Trim().Split(' ');
            var salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(20);
            var hash = System.Security.Cryptography.HMACSHA1.HashData(salt, System.Text.Encoding.ASCII.GetBytes(node.Address.ToString()));
            await File.WriteAllTextAsync(knownHosts, $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)} {fields[1]} {fields[2]}\n");

            var strict = tofu with { Ssh = tofu.Ssh with { TrustOnFirstUse = false } };
            await using (var shell = new SshNodeShell(strict))
            {
                Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-3"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task Upload_copies_a_file_byte_for_byte()
    {
        var local = Path.GetTempFileName();
        try
        {
            var bytes = new byte[256 * 1024];
            new Random(42).NextBytes(bytes);
            await File.WriteAllBytesAsync(local, bytes);
            var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

            await shells[0].UploadAsync(local, "/tmp/chaosedge-upload-test.bin");
            var sum = await shells[0].RunCheckedAsync("sha256sum /tmp/chaosedge-upload-test.bin && rm /tmp/chaosedge-upload-test.bin");
            Assert.That(sum.Stdout.Split(' ')[0], Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(local);
        }
    }

    [Test]
    public async Task Streamed_lines_arrive_while_the_command_is_still_running()
    {
        var arrivals = new List<(string Line, TimeSpan At)>();
        var clock = TimeProvider.System.GetTimestamp();
        await foreach (var line in shells[0].StreamLinesAsync("for i in 1 2 3 4; do echo line-$i; sleep 0.3; done"))
        {
            arrivals.Add((line, TimeProvider.System.GetElapsedTime(clock)));
        }

        Assert.That(arrivals.Select(a => a.Line), Is.EqualTo(new[] { "line-1", "line-2", "line-3", "line-4" }));

        // The command runs 1.2 s; the first line must arrive long before it ends, i.e. streamed, not buffered.
        Assert.That(arrivals[^1].At - arrivals[0].At, Is.GreaterThan(TimeSpan.FromMilliseconds(700)));
    }

    [Test]
    public async Task A_streamed_command_that_fails_ends_with_its_exit_code()
    {
        async Task Drain()
        {
            await foreach (var _ in shells[0].StreamLinesAsync("echo one; echo gone >&2; exit 5"))
            {
            }
        }

        var error = (await Assert.ThrowsAsync<NodeCommandFailedException>(Drain))!;
        Assert.That(error.ExitCode, Is.EqualTo(5));
        Assert.That(error.Stderr.Trim(), Is.EqualTo("gone"));
    }

    [Test]
    public async Task Many_commands_reuse_one_connection()
    {
        var shell = shells[2];
        for (var i = 0; i < 20; i++)
        {
            await shell.RunCheckedAsync("true");
        }

        var harness = IPAddress.Parse((await lab.StatusAsync()).State!.HarnessAddress);
        var connections = await shell.RunCheckedAsync($"ss -Htn state established '( sport = :22 )' | grep -c '{harness}:' || true");
        Assert.That(connections.Stdout.Trim(), Is.EqualTo("1"));
    }

    [Test]
    public async Task A_tampered_host_key_is_refused_showing_expected_and_presented_fingerprints()
    {
        var node = inventory.Nodes[0];
        const string Wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var tampered = node with { Ssh = node.Ssh with { HostKeyFingerprint = Wrong } };

        var error = (await Assert.ThrowsAsync<HostKeyMismatchException>(async () =>
        {
            await using var shell = new SshNodeShell(tampered);
            await shell.RunAsync("echo must-not-run");
        }))!;

        Assert.That(error.Message, Is.EqualTo(
            $"Host key of node 'edge-1' ({node.Address}) does not match: expected '{Wrong}', presented '{node.Ssh.HostKeyFingerprint}'. Refusing to connect."));
    }

    [Test]
    public async Task A_known_hosts_file_verifies_and_trust_on_first_use_records_the_key()
    {
        var node = inventory.Nodes[1];
        var directory = Directory.CreateTempSubdirectory("ce-known-hosts-").FullName;
        try
        {
            var knownHosts = Path.Combine(directory, "known_hosts");
            var tofu = node with { Ssh = node.Ssh with { HostKeyFingerprint = null, KnownHostsPath = knownHosts, TrustOnFirstUse = true } };
            await using (var shell = new SshNodeShell(tofu))
            {
                Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-2"));
            }

            var recorded = await File.ReadAllTextAsync(knownHosts);
            Assert.That(recorded, Does.Contain(node.Address.ToString()));
            var key = recorded.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(' ', 2)[1];
            Assert.That(HostKeyFingerprint.FromPublicKeyLine(key), Is.EqualTo(node.Ssh.HostKeyFingerprint));

            var strict = tofu with { Ssh = tofu.Ssh with { TrustOnFirstUse = false } };
            await using (var shell = new SshNodeShell(strict))
            {
                Assert.That((await shell.RunCheckedAsync("hostname")).Stdout.Trim(), Is.EqualTo("edge-2"));
            }

            // The same file, now listing another key for the node's address, must be refused.
            var otherKey = Path.Combine(directory, "other");
            await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-f", otherKey]);
            var otherLine = (await File.ReadAllTextAsync(otherKey + ".pub")).Split(' ');
            await File.WriteAllTextAsync(knownHosts, $"{node.Address} {otherLine[0]} {otherLine[1]}\n");
            await Assert.ThrowsAsync<HostKeyMismatchException>(async () =>
            {
                await using var shell = new SshNodeShell(strict);
                await shell.RunAsync("echo must-not-run");
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Live processes on the node whose command line ends with <paramref name="suffix"/>, once they had <paramref name="grace"/> to end.</summary>
    private static async Task<List<string>> LiveProcessesAsync(SshNodeShell shell, string suffix, TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        while (true)
        {
            // A killed process stays a zombie until the host's init reaps it: only live ones count.
            var processes = await shell.RunCheckedAsync("ps -eo stat=,args=");
            var alive = processes.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.EndsWith(suffix, StringComparison.Ordinal) && !l.StartsWith('Z')).ToList();
            if (alive.Count == 0 || DateTime.UtcNow > deadline)
            {
                return alive;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills every sshd process of the node but its listener, ending every SSH connection to it.</summary>
    private void KillSshSessions(string node)
    {
        var listener = int.Parse(File.ReadAllText(Path.Combine(lab.Directory, "nodes", node, "sshd.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var pid in NodeCgroup.Of("cetest", node).Processes().Where(p => p != listener))
        {
            var comm = File.Exists($"/proc/{pid}/comm") ? File.ReadAllText($"/proc/{pid}/comm").Trim() : string.Empty;
            if (comm.StartsWith("sshd", StringComparison.Ordinal))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }

    [Test]
    public async Task A_second_up_changes_nothing()
    {
        var before = await File.ReadAllTextAsync(lab.InventoryPath);
        // The listening sshd of each node, from its PidFile (the cgroup also holds session processes).
        List<string> Listeners() => [.. inventory.Nodes.Select(n => File.ReadAllText(Path.Combine(lab.Directory, "nodes", n.Name, "sshd.pid")).Trim())];
        var pids = Listeners();

        var result = await lab.UpAsync(3);

        Assert.That(result.Changed, Is.False);
        Assert.That(await File.ReadAllTextAsync(lab.InventoryPath), Is.EqualTo(before));
        Assert.That(Listeners(), Is.EqualTo(pids), "sshd processes were not restarted");
        Assert.That(pids.Select(p => NodeCgroup.Of("cetest", inventory.Nodes[pids.IndexOf(p)].Name).Processes().Contains(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))), Is.All.True);
    }

    [Test]
    public async Task A_nodes_processes_are_tracked_in_its_cgroup()
    {
        var shell = shells[0];
        var pid = (await shell.RunCheckedAsync("sleep 30 >/dev/null 2>&1 & echo $!")).Stdout.Trim();
        try
        {
            Assert.That(NodeCgroup.Of("cetest", "edge-1").Processes().Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)), Does.Contain(pid));
            Assert.That(NodeCgroup.Of("cetest", "edge-2").Processes().Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)), Does.Not.Contain(pid));
        }
        finally
        {
            await shell.RunAsync($"kill {pid}");
        }
    }

    [Test]
    public async Task A_nodes_processes_run_at_the_labs_low_cpu_weight_and_the_harness_does_not()
    {
        var shell = shells[1];
        var pid = (await shell.RunCheckedAsync("sleep 30 >/dev/null 2>&1 & echo $!")).Stdout.Trim();
        try
        {
            var cpuV1 = NodeCgroup.CpuMountPoint();
            var weightFile = cpuV1 is null ? Path.Combine(NodeCgroup.MountPoint(), "chaosedge", "cpu.weight") : Path.Combine(cpuV1, "chaosedge", "cpu.shares");
            var weight = cpuV1 is null ? NodeCgroup.LabCpuWeight : NodeCgroup.LabCpuShares;
            Assert.Multiple(() =>
            {
                Assert.That(CpuGroup(pid), Is.EqualTo("/chaosedge/cetest/edge-2"), "a process started on the node");
                Assert.That(CpuGroup("self"), Does.Not.Contain("chaosedge"), "the harness");
                Assert.That(File.ReadAllText(weightFile).Trim(), Is.EqualTo(weight.ToString(System.Globalization.CultureInfo.InvariantCulture)), weightFile);
            });
        }
        finally
        {
            await shell.RunAsync($"kill {pid}");
        }

        // The group the kernel schedules the process in: the cgroup v1 hierarchy with the cpu controller, else v2's.
        static string CpuGroup(string process)
        {
            var lines = File.ReadAllLines($"/proc/{process}/cgroup").Select(l => l.Split(':', 3)).ToList();
            var line = lines.FirstOrDefault(f => f[1].Split(',').Contains("cpu")) ?? lines.First(f => f[0] == "0");
            return line[2];
        }
    }

    [Test]
    public async Task Concurrent_streams_on_one_node_end_independently()
    {
        var shell = shells[1];
        async Task<string> Lines(string command)
        {
            var lines = new List<string>();
            await foreach (var line in shell.StreamLinesAsync(command, new NodeCommandOptions { Timeout = TimeSpan.FromSeconds(30) }))
            {
                lines.Add(line);
            }

            return string.Join('|', lines);
        }

        // The short stream ends first; the long one must carry on to its end.
        var longer = Lines("echo a1; sleep 2; echo a2");
        var shorter = Lines("echo b1; sleep 0.5; echo b2");

        Assert.That(await shorter, Is.EqualTo("b1|b2"));
        Assert.That(await longer, Is.EqualTo("a1|a2"));
    }
}
