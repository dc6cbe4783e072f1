using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ChaosEdge.Measurement.Timeline;
using ChaosEdge.Ssh;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// etcd: member health and leader identity over time, asked by the harness itself of every member's client URL (etcd's
/// JSON gateway, <c>POST /v3/maintenance/status</c>, on one kept-alive TLS connection per member), default every 500 ms
/// with a 1 s timeout. The K3s etcd client certificate is read once over SSH when the probe starts; no process is
/// started per sample, on the harness or on a node. Each member has at most one request outstanding: a member still
/// answering an earlier sample is not asked again and counts as not answering, so a slow etcd gets no more load.
/// A sample succeeds when a majority of members answer and agree on a leader. Its <see cref="Sample.Detail"/> holds
/// the bit set of members that answered (bits 0–7, by <see cref="ProbeSeries.Owners"/>) and the leader's index + 1
/// (bits 8–11; 0 = none), so leader changes are counted by the analysis.
/// </summary>
public sealed class EtcdProbe : IStartableProbe
{
    /// <summary>K3s's etcd CA, client certificate and key on a server.</summary>
    public const string K3sEtcdCaPath = "/var/lib/rancher/k3s/server/tls/etcd/server-ca.crt";

    /// <inheritdoc cref="K3sEtcdCaPath"/>
    public const string K3sEtcdClientCertificatePath = "/var/lib/rancher/k3s/server/tls/etcd/client.crt";

    /// <inheritdoc cref="K3sEtcdCaPath"/>
    public const string K3sEtcdClientKeyPath = "/var/lib/rancher/k3s/server/tls/etcd/client.key";

    /// <summary>etcdctl's TLS flags for K3s's embedded etcd.</summary>
    public const string K3sEtcdctlFlags = $"--cacert {K3sEtcdCaPath} --cert {K3sEtcdClientCertificatePath} --key {K3sEtcdClientKeyPath}";

    /// <summary>etcdctl's TLS flags on an external etcd cluster's node (the K3s plan's <c>/etc/etcd/pki</c>).</summary>
    public const string ExternalEtcdctlFlags = "--cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key";

    /// <summary>The CA, client certificate and key on an external etcd node.</summary>
    public static readonly (string Ca, string Certificate, string Key) ExternalEtcdFiles = ("/etc/etcd/pki/ca.crt", "/etc/etcd/pki/client.crt", "/etc/etcd/pki/client.key");

    /// <summary>The etcd probe of <paramref name="inventory"/>'s etcd members, its certificate read from <paramref name="shell"/>'s node (one of them).</summary>
    public static EtcdProbe For(string name, Inventory.LabInventory inventory, INodeShell shell) =>
        new(name, shell, [.. (inventory ?? throw new ArgumentNullException(nameof(inventory))).EtcdMembers.Select(n => (n.Name, $"https://{n.Address}:2379"))],
            inventory.ExternalEtcd ? ExternalEtcdFiles : (K3sEtcdCaPath, K3sEtcdClientCertificatePath, K3sEtcdClientKeyPath));

    /// <summary>etcdctl's TLS flags on a node of <paramref name="inventory"/> that runs an etcd member (<see cref="Inventory.LabInventory.EtcdMembers"/>).</summary>
    public static string EtcdctlFlags(Inventory.LabInventory inventory) =>
        (inventory ?? throw new ArgumentNullException(nameof(inventory))).ExternalEtcd ? ExternalEtcdctlFlags : K3sEtcdctlFlags;

    private static readonly ReadOnlyMemory<byte> StatusRequest = "{}"u8.ToArray();

    private readonly INodeShell shell;
    private readonly (string Ca, string Certificate, string Key) files;
    private readonly IReadOnlyList<(string Name, string Endpoint)> members;
    private readonly int[] busy;
    private HttpClient[] clients = [];

    /// <param name="name">Probe name (<c>etcd</c>).</param>
    /// <param name="shell">A server the client certificate is read from once, at start.</param>
    /// <param name="members">Every member's name and client URL (<c>https://198.18.0.11:2379</c>), at most 8.</param>
    /// <param name="interval">Cadence, default 500 ms.</param>
    /// <param name="timeout">Per sample, default 1 s.</param>
    public EtcdProbe(string name, INodeShell shell, IReadOnlyList<(string Name, string Endpoint)> members, TimeSpan? interval = null, TimeSpan? timeout = null)
        : this(name, shell, members, (K3sEtcdCaPath, K3sEtcdClientCertificatePath, K3sEtcdClientKeyPath), interval, timeout)
    {
    }

    /// <param name="name">Probe name (<c>etcd</c>).</param>
    /// <param name="shell">A node the client certificate is read from once, at start.</param>
    /// <param name="members">Every member's name and client URL, at most 8.</param>
    /// <param name="files">Where the CA, client certificate and key are on that node (K3s's on a server; the K3s plan's <c>/etc/etcd/pki</c> on an external etcd node).</param>
    /// <param name="interval">Cadence, default 500 ms.</param>
    /// <param name="timeout">Per sample, default 1 s.</param>
    public EtcdProbe(string name, INodeShell shell, IReadOnlyList<(string Name, string Endpoint)> members, (string Ca, string Certificate, string Key) files, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        this.files = files;
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count is 0 or > 8)
        {
            throw new ArgumentException("The etcd probe follows 1 to 8 members.", nameof(members));
        }

        this.shell = shell;
        this.members = members;
        busy = new int[members.Count];
        Series = new ProbeSeries(name, ProbeKinds.Etcd, $"etcd members {string.Join(", ", members.Select(m => m.Name))} (asked by the harness, client certificate from {shell.NodeName})",
            interval ?? TimeSpan.FromMilliseconds(500), timeout ?? TimeSpan.FromSeconds(1))
        {
            Owners = [.. members.Select(m => m.Name)],
        };
    }

    public ProbeSeries Series { get; }

    /// <summary>Reads the etcd CA and client certificate from the server (the key only into memory) and opens the clients.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var ca = (await shell.RunCheckedAsync($"cat {files.Ca}", cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout;
        var certificate = (await shell.RunCheckedAsync($"cat {files.Certificate}", cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout;
        var key = (await shell.RunCheckedAsync($"cat {files.Key}", new NodeCommandOptions { ReadsSecret = true }, cancellationToken).ConfigureAwait(false)).Stdout;
        var authority = X509Certificate2.CreateFromPem(ca);
        using var pem = X509Certificate2.CreateFromPem(certificate, key);
        // Exported and re-imported: an ephemeral key cannot sign a TLS handshake on every platform.
        var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        clients = [.. members.Select(_ => Create(authority, client))];
    }

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        var asks = new Task<MemberStatus?>[members.Count];
        for (var i = 0; i < members.Count; i++)
        {
            // A member still busy with an earlier sample is not asked again: it has not answered this one either.
            asks[i] = Interlocked.CompareExchange(ref busy[i], 1, 0) == 0 ? AskAsync(i, cancellationToken) : Task.FromResult<MemberStatus?>(null);
        }

        var answers = await Task.WhenAll(asks).ConfigureAwait(false);
        var (answered, leader) = Judge(answers);
        var detail = (ushort)(answered | ((leader + 1) << 8));
        var count = System.Numerics.BitOperations.PopCount((uint)answered);
        var outcome = count > members.Count / 2 && leader >= 0 ? ProbeOutcome.Success : count == 0 ? ProbeOutcome.Timeout : ProbeOutcome.Error;
        return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), outcome, detail);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The bit set of members that answered, and the index of the leader most of them name (-1 for none).</summary>
    internal static (int Answered, int Leader) Judge(IReadOnlyList<MemberStatus?> answers)
    {
        var answered = 0;
        var ids = new Dictionary<ulong, int>();
        var votes = new Dictionary<ulong, int>();
        for (var i = 0; i < answers.Count; i++)
        {
            if (answers[i] is not { } status)
            {
                continue;
            }

            answered |= 1 << i;
            ids[status.MemberId] = i;
            if (status.LeaderId != 0)
            {
                votes[status.LeaderId] = votes.GetValueOrDefault(status.LeaderId) + 1;
            }
        }

        var leader = votes.Count == 0 ? -1 : ids.GetValueOrDefault(votes.MaxBy(v => v.Value).Key, -1);
        return (answered, leader);
    }

    /// <summary>A member's answer to <c>/v3/maintenance/status</c> (etcd's gateway writes 64-bit ids as strings); null when it is not one.</summary>
    internal static MemberStatus? ParseStatus(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            return root.TryGetProperty("header", out var header) && header.TryGetProperty("member_id", out var member) && root.TryGetProperty("leader", out var leader) &&
                Id(member) is { } memberId && Id(leader) is { } leaderId
                ? new MemberStatus(memberId, leaderId)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }

        static ulong? Id(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String when ulong.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) => v,
            JsonValueKind.Number when e.TryGetUInt64(out var v) => v,
            _ => null,
        };
    }

    private static HttpClient Create(X509Certificate2 authority, X509Certificate2 client)
    {
        var handler = new SocketsHttpHandler
        {
            // One connection per member, kept: a sample costs one request, not a handshake.
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Kubernetes.KubeClient.Verify(authority, certificate, errors),
            },
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version11 };
    }

    private async Task<MemberStatus?> AskAsync(int index, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Series.Timeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{members[index].Endpoint.TrimEnd('/')}/v3/maintenance/status") { Content = new ReadOnlyMemoryContent(StatusRequest) };
            using var response = await clients[index].SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return ParseStatus(body);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
        finally
        {
            Volatile.Write(ref busy[index], 0);
        }
    }
}

/// <summary>One etcd member's own id and the leader it follows (0 for none).</summary>
internal readonly record struct MemberStatus(ulong MemberId, ulong LeaderId);
