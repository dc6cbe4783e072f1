using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.NodeRuntime.Etcd;
using ChaosEdge.NodeRuntime.Tls;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>
/// K3s's join endpoints on a server, behind the token's password (HTTP basic, user <c>server</c> or <c>node</c>):
/// the bootstrap data a joining server needs (CAs and their keys, the admin token), what an agent needs (the CA and a
/// token), and etcd membership: a joining server is added as a member here, replacing a stale member of its name.
/// </summary>
internal sealed class JoinService(RuntimeOptions options, ServerCredentials credentials, EtcdClient etcd, ILogger logger)
{
    public async Task HandleAsync(HttpContext context, string path)
    {
        if (!Authorized(context))
        {
            await ApiServer.WriteAsync(context, 401, ApiError.Status(401, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
            return;
        }

        switch (path)
        {
            case "/v1-k3s/server-bootstrap":
                await ApiServer.WriteAsync(context, 200, new JsonObject
                {
                    ["serverCa"] = credentials.ServerCaPem, ["serverCaKey"] = credentials.ServerCaKeyPem, ["etcdCa"] = credentials.EtcdCaPem,
                    ["etcdCaKey"] = credentials.EtcdCaKeyPem, ["adminToken"] = credentials.AdminToken,
                    ["clientCa"] = credentials.ClientCaPem, ["clientCaKey"] = credentials.ClientCaKeyPem,
                }).ConfigureAwait(false);
                return;
            case "/v1-k3s/agent-bootstrap":
                await ApiServer.WriteAsync(context, 200, new JsonObject { ["serverCa"] = credentials.ServerCaPem, ["adminToken"] = credentials.AdminToken }).ConfigureAwait(false);
                return;
            case "/v1-k3s/etcd-join":
                var request = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                var name = (string?)request?["name"] ?? throw ApiError.BadRequest("name is required");
                var address = (string?)request?["address"] ?? throw ApiError.BadRequest("address is required");
                await ApiServer.WriteAsync(context, 200, new JsonObject { ["initialCluster"] = await AddMemberAsync(name, $"https://{address}:2380", context.RequestAborted).ConfigureAwait(false) }).ConfigureAwait(false);
                return;
            default:
                await ApiServer.WriteAsync(context, 404, ApiError.Status(404, "NotFound", "not found")).ConfigureAwait(false);
                return;
        }
    }

    private async Task<string> AddMemberAsync(string name, string peerUrl, CancellationToken cancellationToken)
    {
        var members = (await etcd.MemberListAsync(cancellationToken).ConfigureAwait(false))["members"] as JsonArray ?? [];
        foreach (var stale in members.OfType<JsonObject>().Where(m => (string?)m["name"] == name || (m["peerURLs"] as JsonArray ?? []).Any(u => (string?)u == peerUrl)))
        {
            logger.LogWarning("Removing stale etcd member '{Name}' ({Id}) before '{Joiner}' joins.", (string?)stale["name"], (string?)stale["ID"], name);
            await etcd.MemberRemoveAsync((string)stale["ID"]!, cancellationToken).ConfigureAwait(false);
        }

        var added = await etcd.MemberAddAsync(peerUrl, cancellationToken).ConfigureAwait(false);
        var cluster = new List<string>();
        foreach (var member in (added["members"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var urls = (member["peerURLs"] as JsonArray ?? []).Select(u => (string?)u).OfType<string>().ToList();
            var memberName = urls.Contains(peerUrl) ? name : (string?)member["name"];
            if (!string.IsNullOrEmpty(memberName))
            {
                cluster.AddRange(urls.Select(u => $"{memberName}={u}"));
            }
        }

        logger.LogInformation("etcd member '{Name}' ({PeerUrl}) added; initial cluster {Cluster}.", name, peerUrl, string.Join(',', cluster));
        return string.Join(',', cluster);
    }

    private bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[..colon] is "server" or "node" && ClusterToken.Parse(options.Token).Accepts(decoded[(colon + 1)..]);
    }
}
