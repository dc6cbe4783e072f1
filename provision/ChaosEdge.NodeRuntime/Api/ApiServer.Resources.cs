using System.Text.Json.Nodes;
using ChaosEdge.Kubernetes;

namespace ChaosEdge.NodeRuntime.Api;

internal sealed partial class ApiServer
{
    private async Task HandleResourceAsync(HttpContext context, string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (parts.Length == 0)
        {
            await WriteAsync(context, 200, new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version") }).ConfigureAwait(false);
            return;
        }

        // /api/v1/... or /apis/{group}/{version}/...
        string group, version;
        int rest;
        if (parts[0] == "api")
        {
            if (parts.Length == 1)
            {
                await WriteAsync(context, 200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = $"{options.NodeIp}:{options.HttpsPort}" }) }).ConfigureAwait(false);
                return;
            }

            (group, version, rest) = (string.Empty, parts[1], 2);
        }
        else if (parts[0] == "apis")
        {
            if (parts.Length == 1)
            {
                await WriteAsync(context, 200, GroupList()).ConfigureAwait(false);
                return;
            }

            if (parts.Length == 2)
            {
                var found = GroupList()["groups"]!.AsArray().FirstOrDefault(g => (string?)g?["name"] == parts[1]) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
                await WriteAsync(context, 200, new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1", ["name"] = parts[1], ["versions"] = found["versions"]!.DeepClone(), ["preferredVersion"] = found["preferredVersion"]!.DeepClone() }).ConfigureAwait(false);
                return;
            }

            (group, version, rest) = (parts[1], parts[2], 3);
        }
        else
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        if (parts.Length == rest)
        {
            var resources = store.Catalog.All.Where(r => r.Group == group && r.Version == version).ToList();
            if (resources.Count == 0)
            {
                throw new ApiError(404, "NotFound", "the server could not find the requested resource");
            }

            var list = new JsonArray([.. resources.Select(r => (JsonNode)r.Discovery())]);
            foreach (var r in resources.Where(r => r.HasStatus))
            {
                list.Add(new JsonObject { ["name"] = r.Plural + "/status", ["singularName"] = string.Empty, ["namespaced"] = r.Namespaced, ["kind"] = r.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            }

            await WriteAsync(context, 200, new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}", ["resources"] = list }).ConfigureAwait(false);
            return;
        }

        // namespaces/{ns}/{plural}/... (but namespaces/{name} is the Namespace itself)
        string? ns = null;
        if (parts[rest] == "namespaces" && parts.Length > rest + 2)
        {
            ns = parts[rest + 1];
            rest += 2;
        }

        var resource = store.Catalog.Find(group, version, parts[rest]) ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        var name = parts.Length > rest + 1 ? parts[rest + 1] : null;
        var subresource = parts.Length > rest + 2 ? parts[rest + 2] : null;
        if (subresource is not null and not "status")
        {
            throw new ApiError(404, "NotFound", $"the server could not find the requested resource ({subresource})");
        }

        var query = context.Request.Query;
        var labels = Selector.Labels(query["labelSelector"]);
        var fields = Selector.Fields(query["fieldSelector"]);
        var method = context.Request.Method;
        var ct = context.RequestAborted;
        if (method == "GET" && (query["watch"] == "true" || query["watch"] == "1"))
        {
            if (name is not null)
            {
                fields = Selector.Fields($"metadata.name={name}" + (query["fieldSelector"].ToString() is { Length: > 0 } f ? "," + f : string.Empty));
            }

            await WatchAsync(context, resource, ns, query["resourceVersion"], labels, fields, query["timeoutSeconds"]).ConfigureAwait(false);
            return;
        }

        switch (method)
        {
            case "GET" when name is null:
                var (items, revision) = await store.ListAsync(resource, ns, labels, fields, ct).ConfigureAwait(false);
                var listVersion = Text(revision);
                if (Tables.Wanted(context.Request.Headers.Accept))
                {
                    await WriteAsync(context, 200, Tables.Build(resource, items, listVersion, time)).ConfigureAwait(false);
                    return;
                }

                await WriteAsync(context, 200, new JsonObject
                {
                    ["kind"] = resource.ListKind, ["apiVersion"] = resource.ApiVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = listVersion },
                    ["items"] = new JsonArray([.. items]),
                }).ConfigureAwait(false);
                return;
            case "GET":
                var obj = await store.GetAsync(resource, ns, name, ct).ConfigureAwait(false);
                await WriteAsync(context, 200, Tables.Wanted(context.Request.Headers.Accept) ? Tables.Build(resource, [obj], obj.ResourceVersion(), time) : obj).ConfigureAwait(false);
                return;
            case "POST" when name is null:
                var created = await store.CreateAsync(resource, ns, await BodyAsync(context).ConfigureAwait(false), ct).ConfigureAwait(false);
                await WriteAsync(context, 201, created).ConfigureAwait(false);
                return;
            case "PUT" when name is not null:
                var replaced = await store.UpdateAsync(resource, ns, name, await BodyAsync(context).ConfigureAwait(false), subresource == "status", ct).ConfigureAwait(false);
                await WriteAsync(context, 200, replaced).ConfigureAwait(false);
                return;
            case "PATCH" when name is not null:
                using (var reader = new StreamReader(context.Request.Body))
                {
                    var body = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
                    var contentType = context.Request.ContentType ?? string.Empty;
                    var patched = contentType.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal) && subresource is null
                        ? await store.ApplyAsync(resource, ns, name, body, ct).ConfigureAwait(false)
                        : await store.PatchAsync(resource, ns, name, contentType, body, subresource == "status", ct).ConfigureAwait(false);
                    await WriteAsync(context, 200, patched).ConfigureAwait(false);
                }

                return;
            case "DELETE" when name is not null:
                long? grace = long.TryParse(query["gracePeriodSeconds"], out var g) ? g : null;
                if (grace is null && context.Request.ContentLength > 0 && await BodyAsync(context).ConfigureAwait(false) is { } options && (long?)options["gracePeriodSeconds"] is { } fromBody)
                {
                    grace = fromBody;
                }

                await WriteAsync(context, 200, await store.DeleteAsync(resource, ns, name, grace, ct).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            default:
                throw new ApiError(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");
        }
    }

    private async Task WatchAsync(HttpContext context, ResourceInfo resource, string? ns, string? resourceVersion, Selector labels, Selector fields, string? timeoutSeconds)
    {
        var timeout = TimeSpan.FromSeconds(int.TryParse(timeoutSeconds, out var seconds) && seconds > 0 ? seconds : 1800);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(timeout);
        var response = context.Response;
        try
        {
            // Headers go out at once, as kube-apiserver sends them: a quiet watch must not look like a hung request.
            if (!string.IsNullOrEmpty(resourceVersion) && resourceVersion != "0")
            {
                await StartStreamAsync(context).ConfigureAwait(false);
            }

            await foreach (var (type, obj) in store.WatchAsync(resource, ns, resourceVersion, labels, fields, cts.Token).ConfigureAwait(false))
            {
                await StartStreamAsync(context).ConfigureAwait(false);
                await response.WriteAsync(new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n", cts.Token).ConfigureAwait(false);
                await response.Body.FlushAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
        catch (ApiError e) when (e.Code == 410)
        {
            // kube-apiserver reports an expired resourceVersion as an ERROR event inside a 200 watch stream.
            await StartStreamAsync(context).ConfigureAwait(false);
            await response.WriteAsync(new JsonObject { ["type"] = "ERROR", ["object"] = e.ToStatus() }.ToJsonString() + "\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (Etcd.EtcdUnavailableException) when (response.HasStarted)
        {
        }
        catch (HttpRequestException) when (response.HasStarted)
        {
        }
        catch (IOException) when (response.HasStarted)
        {
        }

        await StartStreamAsync(context).ConfigureAwait(false);
    }

    private static async Task StartStreamAsync(HttpContext context)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task<JsonObject> BodyAsync(HttpContext context)
    {
        var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return node as JsonObject ?? throw ApiError.BadRequest("the request body must be a JSON object");
    }

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in store.Catalog.All.Where(r => r.Group.Length > 0).GroupBy(r => r.Group))
        {
            var versions = group.Select(r => r.Version).Distinct().Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group.Key}/{v}", ["version"] = v }).ToArray();
            groups.Add(new JsonObject { ["name"] = group.Key, ["versions"] = new JsonArray(versions), ["preferredVersion"] = versions[0].DeepClone() });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }
}
