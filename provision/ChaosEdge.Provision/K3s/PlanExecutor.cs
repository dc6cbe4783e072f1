using System.Globalization;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;
using ChaosEdge.Provision.Cluster;
using ChaosEdge.Ssh;
using ChaosEdge.Waiting;

namespace ChaosEdge.Provision.K3s;

/// <summary>
/// Runs a <see cref="ProvisionPlan"/> over SSH and the Kubernetes API, step by step, changing only what differs: files
/// and artifacts are compared first, run steps are skipped when their check says they are done and nothing of the node
/// changed. Every failure names the step, the node and the evidence. The same primitives write the virtual lab's files.
/// </summary>
public sealed partial class PlanExecutor(LabInventory inventory, TimeProvider time, IProgress<string>? progress, ArtifactSet? artifacts = null) : IAsyncDisposable
{
    private readonly Dictionary<string, SshNodeShell> shells = new(StringComparer.Ordinal);
    private readonly HashSet<string> changedNodes = new(StringComparer.Ordinal);
    private readonly List<string> changes = [];
    private readonly Dictionary<string, string> secrets = new(StringComparer.Ordinal);

    /// <summary>Every change made so far, in order.</summary>
    public IReadOnlyList<string> Changes => changes;

    /// <summary>Where the kubeconfig is written by a <see cref="KubeconfigStep"/>.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>Secrets known before the run (the external etcd's certificates and keys), by the source name the plan gives them.</summary>
    public IReadOnlyDictionary<string, string> KnownSecrets
    {
        init
        {
            foreach (var (name, secret) in value)
            {
                secrets[name] = secret;
            }
        }
    }

    /// <summary>The secret written by <see cref="WriteStep"/>s that have a secret source.</summary>
    public Func<string>? Secret { get; init; }

    public SshNodeShell Shell(string node)
    {
        if (!shells.TryGetValue(node, out var shell))
        {
            shell = new SshNodeShell(inventory.Node(node), progress is null ? null : new NodeShellOptions { Logger = new ProgressLogger(progress) });
            shells[node] = shell;
        }

        return shell;
    }

    /// <summary>Runs every step in order; stops at the first failure.</summary>
    public async Task RunAsync(ProvisionPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var step in plan.Steps)
        {
            Report($"{(step.Node is null ? "Cluster" : $"Node '{step.Node}'")}: {step.Title}");
            await (step switch
            {
                UploadStep upload => UploadAsync(upload, cancellationToken),
                WriteStep write => WriteAsync(write, cancellationToken),
                RunStep run => RunStepAsync(run, cancellationToken),
                WaitStep wait => WaitAsync(wait, cancellationToken),
                ReadSecretStep read => ReadSecretAsync(read, cancellationToken),
                KubeconfigStep kubeconfig => FetchKubeconfigAsync(kubeconfig, cancellationToken),
                ApplyStep apply => ApplyAsync(apply, cancellationToken),
                ClusterWaitStep clusterWait => WaitForClusterAsync(clusterWait, cancellationToken),
                _ => throw new InvalidOperationException($"Unknown plan step {step.GetType().Name}."),
            }).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        client?.Dispose();
        foreach (var shell in shells.Values)
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void Report(string line) => progress?.Report(line);

    internal void Changed(string? node, string what)
    {
        if (node is not null)
        {
            changedNodes.Add(node);
        }

        changes.Add(what);
        Report(what);
    }

    /// <summary>Writes a file on a node only if its content differs; returns whether it changed.</summary>
    public async Task<bool> WriteAsync(WriteStep step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        var secret = step.SecretSource is not null;
        // A secret step either carries its (never shown) content, or takes the run's secret.
        var content = !secret || step.Content.Length > 0 ? step.Content
            : secrets.TryGetValue(step.SecretSource!, out var read) ? read
            : (Secret ?? throw new ChaosEdgeException($"Step '{step.Title}' writes a secret, but no secret was given."))();
        var shell = Shell(step.Node!);
        var current = await shell.RunAsync($"cat {ShellQuote.Quote(step.RemotePath)} 2>/dev/null", new NodeCommandOptions { ReadsSecret = secret }, cancellationToken).ConfigureAwait(false);
        if (current.Succeeded && current.Stdout == content)
        {
            return false;
        }

        await shell.RunCheckedAsync($"mkdir -p {ShellQuote.Quote(Path.GetDirectoryName(step.RemotePath)!)}", cancellationToken: cancellationToken).ConfigureAwait(false);
        await shell.UploadContentAsync(content, step.RemotePath, (UnixFileMode)Convert.ToInt32(step.Mode, 8), cancellationToken).ConfigureAwait(false);
        Changed(step.Node, $"Node '{step.Node}': wrote '{step.RemotePath}'{(secret ? $" (secret, mode {step.Mode})" : string.Empty)}.");
        return true;
    }

    private async Task UploadAsync(UploadStep step, CancellationToken cancellationToken)
    {
        var local = artifacts?.PathOf(step.Artifact) ?? throw new ProvisionStepException(step.Title, step.Node, "no artifacts directory is open.");
        var shell = Shell(step.Node!);
        var remote = ShellQuote.Quote(step.RemotePath);
        var current = await shell.RunAsync($"sha256sum {remote} 2>/dev/null", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (current.Succeeded && current.Stdout.StartsWith(step.Sha256, StringComparison.Ordinal))
        {
            return;
        }

        Report($"Node '{step.Node}': uploading '{step.Artifact}' ({new FileInfo(local).Length / 1048576.0:0.#} MiB)");
        var partial = ShellQuote.Quote(step.RemotePath + ".chaosedge-partial");
        await shell.RunCheckedAsync($"mkdir -p {ShellQuote.Quote(Path.GetDirectoryName(step.RemotePath)!)}", cancellationToken: cancellationToken).ConfigureAwait(false);
        await shell.UploadAsync(local, step.RemotePath + ".chaosedge-partial", cancellationToken).ConfigureAwait(false);
        var check = await shell.RunAsync($"sha256sum {partial}", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!check.Succeeded || !check.Stdout.StartsWith(step.Sha256, StringComparison.Ordinal))
        {
            await shell.RunAsync($"rm -f {partial}", cancellationToken: cancellationToken).ConfigureAwait(false);
            throw new ProvisionStepException(step.Title, step.Node, $"the uploaded copy of '{step.Artifact}' does not have SHA-256 {step.Sha256} on the node: {check.Stdout.Trim()} {check.Stderr.Trim()}");
        }

        await shell.RunCheckedAsync($"chmod {step.Mode} {partial} && mv -f {partial} {remote}", cancellationToken: cancellationToken).ConfigureAwait(false);
        Changed(step.Node, $"Node '{step.Node}': installed artifact '{step.Artifact}' as '{step.RemotePath}' (SHA-256 verified on the node).");
    }

    private async Task RunStepAsync(RunStep step, CancellationToken cancellationToken)
    {
        var shell = Shell(step.Node!);
        if (!step.Check && step.Unless is not null && !changedNodes.Contains(step.Node!)
            && (await shell.RunAsync(step.Unless, cancellationToken: cancellationToken).ConfigureAwait(false)).Succeeded)
        {
            return;
        }

        var result = await shell.RunAsync(step.Command, new NodeCommandOptions { Timeout = TimeSpan.FromMinutes(10) }, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new ProvisionStepException(step.Title, step.Node,
                $"'{step.Command}' exited with {result.ExitCode.ToString(CultureInfo.InvariantCulture)}:\n{(result.Stdout + result.Stderr).Trim()}");
        }

        if (!step.Check)
        {
            changedNodes.Remove(step.Node!);
            Changed(null, $"Node '{step.Node}': {step.Title.ToLowerInvariant()} (ran '{step.Command}').");
        }
    }

    private async Task ReadSecretAsync(ReadSecretStep step, CancellationToken cancellationToken)
    {
        var result = await Shell(step.Node!).RunAsync($"cat {ShellQuote.Quote(step.RemotePath)}", new NodeCommandOptions { ReadsSecret = true }, cancellationToken).ConfigureAwait(false);
        var value = result.Stdout.Trim();
        if (!result.Succeeded || value.Length == 0)
        {
            throw new ProvisionStepException(step.Title, step.Node, $"'{step.RemotePath}' could not be read ({result.Stderr.Trim()}).");
        }

        Secrets.SecretRedactor.Register(value);
        secrets[step.Name] = value;
    }

    private async Task WaitAsync(WaitStep step, CancellationToken cancellationToken)
    {
        var shell = Shell(step.Node!);
        try
        {
            await Wait.UntilAsync($"Node '{step.Node}'", step.Title.ToLowerInvariant(), async token =>
            {
                var result = await shell.RunAsync(step.Check, cancellationToken: token).ConfigureAwait(false);
                return (result.Succeeded, (result.Stdout + result.Stderr).Trim());
            }, step.Timeout, TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }
        catch (GateTimeoutException e)
        {
            throw new ProvisionStepException(step.Title, step.Node, e.Message, e);
        }
    }
}
