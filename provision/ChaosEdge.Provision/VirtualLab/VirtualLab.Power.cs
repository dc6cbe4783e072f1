using System.Net;
using ChaosEdge.Errors;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.VirtualLab;

public sealed partial class VirtualLab
{
    /// <summary>Whether the node has power (it has, unless its BMC turned it off).</summary>
    public bool IsPoweredOn(string node) => !File.Exists(PowerOffMarker(Node(node).Name));

    /// <summary>
    /// Pulls the node's plug: its link goes down, then every process of the node is killed at once (SIGKILL through
    /// <c>cgroup.kill</c>, so no service shuts down cleanly and keepalived sends no farewell advert). In that order
    /// nothing leaves the node as it dies — no FIN or RST for its open connections, which a real power cut never sends
    /// either: peers find out by their own timeouts (Longhorn's engine-replica timeout, say). Its disk (the node's data
    /// directories) survives, as a real disk does. Called by the lab's BMC.
    /// </summary>
    public async Task PowerOffAsync(string node, CancellationToken cancellationToken = default)
    {
        var state = Node(node);
        await File.WriteAllTextAsync(PowerOffMarker(state.Name), "off\n", cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", state.Namespace, "link", "set", state.Interface, "down").ConfigureAwait(false);
        await NodeCgroup.KillAllAsync(NodeCgroup.Of(Names.Lab, state.Name).Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Powers the node on and boots it: what a reboot forgets is forgotten (interface addresses such as a VIP it
    /// held, nftables rules, <c>/run</c> and <c>/tmp</c>), the link comes up with the node's own address, sshd starts,
    /// and the boot script starts every enabled unit, as systemd does. Returns once sshd answers.
    /// </summary>
    public async Task PowerOnAsync(string node, CancellationToken cancellationToken = default)
    {
        var state = Node(node);
        if (IsPoweredOn(state.Name) && NodeCgroup.Of(Names.Lab, state.Name).Processes().Count > 0)
        {
            return;
        }

        var ns = state.Namespace;
        await NodeCgroup.KillAllAsync(NodeCgroup.Of(Names.Lab, state.Name).Path, cancellationToken).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "addr", "flush", "dev", state.Interface).ConfigureAwait(false);
        await HostCommands.RunAsync("ip", ["netns", "exec", ns, "nft", "flush", "ruleset"], cancellationToken).ConfigureAwait(false);
        foreach (var volatileDirectory in new[] { "run", "tmp" })
        {
            var path = Path.Combine(NodeDirectory(state.Name), "fs", volatileDirectory);
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }

        await HostCommands.IpAsync(cancellationToken, "-n", ns, "link", "set", state.Interface, "up").ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "addr", "add", $"{state.Address}/24", "dev", state.Interface).ConfigureAwait(false);
        await HostCommands.IpAsync(cancellationToken, "-n", ns, "route", "replace", LabAddressPlan.ServiceRange.ToString(), "dev", state.Interface).ConfigureAwait(false);
        await StartSshdAsync(state.Name, ns, IPAddress.Parse(state.Address), state.Interface, cancellationToken).ConfigureAwait(false);

        // Asked inside the node: the BMC network that calls this has no route to the nodes' network.
        await Wait.UntilAsync($"The sshd of node '{state.Name}' ({state.Address})", "listen after power-on", async token =>
        {
            var listening = await HostCommands.RunAsync("ip", ["netns", "exec", ns, "ss", "-Hltn", "sport = :22"], token).ConfigureAwait(false);
            return (listening.Trim().Length > 0, "not listening");
        }, options.SshdStartTimeout, TimeSpan.FromMilliseconds(10), options.TimeProvider, cancellationToken).ConfigureAwait(false);
        File.Delete(PowerOffMarker(state.Name));
    }

    private string PowerOffMarker(string node) => Path.Combine(NodeDirectory(node), "powered-off");

    private LabNodeState Node(string node)
    {
        var state = LabState.Read(StatePath) ?? throw new ChaosEdgeException($"Lab '{Names.Lab}' does not exist.");
        return state.Nodes.FirstOrDefault(n => n.Name == node)
            ?? throw new ChaosEdgeException($"Lab '{Names.Lab}' has no node '{node}'; it has {string.Join(", ", state.Nodes.Select(n => $"'{n.Name}'"))}.");
    }
}
