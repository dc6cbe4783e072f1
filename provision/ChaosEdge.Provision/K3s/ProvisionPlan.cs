using System.Globalization;
using System.Text;

namespace ChaosEdge.Provision.K3s;

/// <summary>One step of a provisioning plan, on a node (<see cref="Node"/>) or on the cluster through its API (<c>null</c>).</summary>
public abstract record PlanStep(string? Node, string Title)
{
    /// <summary>How the step reads in <c>chaosedge provision --plan</c>.</summary>
    public abstract string Describe();
}

/// <summary>Copies an artifact from the artifacts directory to the node, unless the node's copy has the same SHA-256.</summary>
public sealed record UploadStep(string Node, string Title, string Artifact, string RemotePath, string Sha256, string Mode) : PlanStep(Node, Title)
{
    public override string Describe() => $"upload {Artifact} -> {RemotePath} (mode {Mode}, sha256 {Sha256})";
}

/// <summary>Writes a file on the node unless it already has that content. A secret's content is never shown.</summary>
public sealed record WriteStep(string Node, string Title, string RemotePath, string Content, string Mode, string? SecretSource = null) : PlanStep(Node, Title)
{
    public override string Describe() => SecretSource is null
        ? $"write {RemotePath} (mode {Mode}):\n{Indent(Content)}"
        : $"write {RemotePath} (mode {Mode}): the secret from {SecretSource}, never shown";

    internal static string Indent(string text) => string.Join('\n', text.TrimEnd('\n').Split('\n').Select(l => "      | " + l));
}

/// <summary>
/// Runs a command on the node, unless <see cref="Unless"/> succeeds there (it is already done) and no file of this node
/// changed since the node's last run step. A <see cref="Check"/> runs every time and changes nothing (a preflight).
/// </summary>
public sealed record RunStep(string Node, string Title, string Command, string? Unless = null, bool Check = false) : PlanStep(Node, Title)
{
    public override string Describe() => Unless is null ? $"{(Check ? "check" : "run")}: {Command}" : $"run: {Command}\n      (skipped when nothing changed and this succeeds: {Unless})";
}

/// <summary>
/// Reads a secret file on the node (never shown, redacted from every log) for later <see cref="WriteStep"/>s whose
/// <see cref="WriteStep.SecretSource"/> is <see cref="Name"/>.
/// </summary>
public sealed record ReadSecretStep(string Node, string Title, string RemotePath, string Name) : PlanStep(Node, Title)
{
    public override string Describe() => $"read {RemotePath} for the steps that write it, never shown";
}

/// <summary>Polls a command on the node until it succeeds, at most <see cref="Timeout"/>.</summary>
public sealed record WaitStep(string Node, string Title, string Check, TimeSpan Timeout) : PlanStep(Node, Title)
{
    public override string Describe() => $"wait up to {Timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s until: {Check}";
}

/// <summary>Fetches the admin kubeconfig from a server and rewrites its server to the control-plane VIP.</summary>
public sealed record KubeconfigStep(string Node, string Title, string RemotePath, Uri Server) : PlanStep(Node, Title)
{
    public override string Describe() => $"fetch {RemotePath}, point it at {Server.AbsoluteUri.TrimEnd('/')}, write it next to the inventory (mode 0600)";
}

/// <summary>Applies manifests through the API with server-side apply (field manager <c>chaosedge</c>), retried while the API or a webhook is not ready.</summary>
public sealed record ApplyStep(string Title, string Manifest, string? Yaml, string? Artifact = null) : PlanStep(null, Title)
{
    public override string Describe() => Artifact is not null
        ? $"server-side apply of every object in artifact {Artifact}"
        : $"server-side apply of {Manifest}:\n{WriteStep.Indent(Yaml ?? string.Empty)}";
}

/// <summary>What a <see cref="ClusterWaitStep"/> waits for.</summary>
public enum ClusterCondition
{
    /// <summary>The control-plane VIP accepts TCP connections on the API port.</summary>
    VipAnswers,

    /// <summary>Every Deployment and DaemonSet in a namespace has all its replicas available.</summary>
    WorkloadsAvailable,

    /// <summary>Longhorn's check volume is attached and healthy.</summary>
    LonghornVolumeHealthy,

    /// <summary>The health gate: nodes Ready, etcd members healthy, DNS from every node, the service VIP answering.</summary>
    Healthy,
}

/// <summary>Waits for a cluster condition read through the API (or the network).</summary>
public sealed record ClusterWaitStep(string Title, ClusterCondition Condition, string Detail, TimeSpan Timeout, string? Namespace = null) : PlanStep(null, Title)
{
    public override string Describe() => $"wait up to {Timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s until {Detail}";
}

/// <summary>An ordered provisioning plan: what <c>chaosedge provision</c> does, and what <c>--plan</c> prints without doing it.</summary>
public sealed record ProvisionPlan(string Title, IReadOnlyList<PlanStep> Steps)
{
    /// <summary>The plan as a reviewable text: per node, the ordered steps; then the cluster-wide steps.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append(Title).Append('\n');
        var number = 0;
        string? current = "\0";
        foreach (var step in Steps)
        {
            if (step.Node != current)
            {
                current = step.Node;
                text.Append('\n').Append(current is null ? "== cluster (through the API, via the control-plane VIP)" : $"== node {current}").Append('\n');
            }

            number++;
            text.Append(number.ToString(CultureInfo.InvariantCulture).PadLeft(3)).Append(". ").Append(step.Title).Append('\n');
            text.Append("     ").Append(step.Describe()).Append('\n');
        }

        return text.ToString();
    }
}
