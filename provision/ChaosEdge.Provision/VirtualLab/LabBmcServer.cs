using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChaosEdge.Provision.VirtualLab;

/// <summary>
/// <c>chaosedge lab bmc-serve</c>: the lab's power switch and its Redfish service. Runs detached in the lab's BMC
/// network until <c>lab down</c>.
/// <list type="bullet">
/// <item>Redfish (DMTF DSP0266 subset) on every node's BMC address, HTTPS port 443, HTTP basic authentication:
/// <c>/redfish/v1</c>, <c>/redfish/v1/Systems</c>, <c>/redfish/v1/Systems/1</c> (<c>PowerState</c> <c>On</c>|<c>Off</c>) and
/// <c>POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset</c> with <c>ResetType</c> <c>On</c>, <c>ForceOff</c>,
/// <c>ForceRestart</c> or <c>PowerCycle</c>. Which node a request controls is the BMC address it was sent to.</item>
/// <item>The power switch on a Unix socket for the IPMI simulators' chassis control: <c>GET /power/NODE</c> answers
/// <c>power:1</c> or <c>power:0</c>; <c>POST /power/NODE/on|off</c> switches.</item>
/// </list>
/// Power operations on one node are serialised.
/// </summary>
public static class LabBmcServer
{
    public static async Task RunAsync(string labName, CancellationToken cancellationToken)
    {
        var lab = new VirtualLab(labName);
        var nodes = lab.BuiltNodes();
        if (nodes.Count == 0)
        {
            throw new Errors.ChaosEdgeException($"Lab '{labName}' does not exist.");
        }

        var password = (await File.ReadAllTextAsync(lab.BmcPasswordPath, cancellationToken).ConfigureAwait(false)).Trim();
        var (certificateFile, keyFile) = lab.RedfishCertificateFiles;
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var byAddress = nodes.ToDictionary(n => IPAddress.Parse(n.ReservedBmcAddress), n => n.Name);
        var locks = nodes.ToDictionary(n => n.Name, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
        File.Delete(lab.PowerSocketPath);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in byAddress.Keys)
            {
                kestrel.Listen(address, 443, listen => listen.UseHttps(certificate));
            }

            kestrel.ListenUnixSocket(lab.PowerSocketPath);
        });
        var app = builder.Build();
        var log = app.Services.GetService(typeof(ILoggerFactory)) is ILoggerFactory factory ? factory.CreateLogger("bmc") : null;

        async Task SwitchAsync(string node, bool on, CancellationToken token)
        {
            await locks[node].WaitAsync(token).ConfigureAwait(false);
            try
            {
                if (on)
                {
                    await lab.PowerOnAsync(node, token).ConfigureAwait(false);
                }
                else
                {
                    await lab.PowerOffAsync(node, token).ConfigureAwait(false);
                }

                log?.LogWarning("Node '{Node}' powered {State}.", node, on ? "on" : "off");
            }
            finally
            {
                locks[node].Release();
            }
        }

        // The power switch (Unix socket only: a TCP request never reaches these routes, see the guard below).
        app.MapGet("/power/{node}", (string node, HttpContext context) =>
            locks.ContainsKey(node) ? Results.Text($"power:{(lab.IsPoweredOn(node) ? 1 : 0)}\n") : Results.NotFound());
        app.MapPost("/power/{node}/{action}", async (string node, string action, HttpContext context) =>
        {
            if (!locks.ContainsKey(node) || action is not ("on" or "off"))
            {
                return Results.NotFound();
            }

            await SwitchAsync(node, action == "on", context.RequestAborted).ConfigureAwait(false);
            return Results.Text("ok\n");
        });

        app.MapGet("/redfish/v1", () => Results.Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1", ["@odata.type"] = "#ServiceRoot.v1_5_0.ServiceRoot", ["Id"] = "RootService", ["Name"] = "ChaosEdge lab BMC",
            ["RedfishVersion"] = "1.6.0", ["Systems"] = new JsonObject { ["@odata.id"] = "/redfish/v1/Systems" },
        }));
        app.MapGet("/redfish/v1/Systems", () => Results.Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1/Systems", ["@odata.type"] = "#ComputerSystemCollection.ComputerSystemCollection", ["Name"] = "Computer System Collection",
            ["Members@odata.count"] = 1, ["Members"] = new JsonArray(new JsonObject { ["@odata.id"] = "/redfish/v1/Systems/1" }),
        }));
        app.MapGet("/redfish/v1/Systems/1", (HttpContext context) =>
        {
            var node = (string)context.Items["node"]!;
            return Results.Json(new JsonObject
            {
                ["@odata.id"] = "/redfish/v1/Systems/1", ["@odata.type"] = "#ComputerSystem.v1_10_0.ComputerSystem", ["Id"] = "1", ["Name"] = node, ["HostName"] = node,
                ["PowerState"] = lab.IsPoweredOn(node) ? "On" : "Off",
                ["Actions"] = new JsonObject
                {
                    ["#ComputerSystem.Reset"] = new JsonObject
                    {
                        ["target"] = "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                        ["ResetType@Redfish.AllowableValues"] = new JsonArray("On", "ForceOff", "ForceRestart", "PowerCycle"),
                    },
                },
            });
        });
        app.MapPost("/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", async (HttpContext context) =>
        {
            var node = (string)context.Items["node"]!;
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            switch ((string?)body?["ResetType"])
            {
                case "On":
                    await SwitchAsync(node, on: true, context.RequestAborted).ConfigureAwait(false);
                    break;
                case "ForceOff":
                    await SwitchAsync(node, on: false, context.RequestAborted).ConfigureAwait(false);
                    break;
                case "ForceRestart" or "PowerCycle":
                    await SwitchAsync(node, on: false, context.RequestAborted).ConfigureAwait(false);
                    await SwitchAsync(node, on: true, context.RequestAborted).ConfigureAwait(false);
                    break;
                default:
                    return Results.Json(RedfishError("Base.1.8.ActionParameterValueNotInList", "ResetType must be On, ForceOff, ForceRestart or PowerCycle."), statusCode: 400);
            }

            return Results.NoContent();
        });

        // Redfish requests (TCP) must come to a BMC address and authenticate; the power switch is the socket's only.
        app.Use(async (context, next) =>
        {
            var local = context.Connection.LocalIpAddress;
            var overSocket = local is null;
            var isPower = context.Request.Path.StartsWithSegments("/power", StringComparison.Ordinal);
            if (overSocket != isPower)
            {
                context.Response.StatusCode = 404;
                return;
            }

            if (!overSocket)
            {
                if (!byAddress.TryGetValue(local!.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local, out var node))
                {
                    context.Response.StatusCode = 404;
                    return;
                }

                if (!Authorized(context.Request.Headers.Authorization.ToString(), password))
                {
                    context.Response.Headers.WWWAuthenticate = "Basic realm=\"ChaosEdge lab BMC\"";
                    await Results.Json(RedfishError("Base.1.8.NoValidSession", "Authentication required."), statusCode: 401).ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                context.Items["node"] = node;
            }

            await next(context).ConfigureAwait(false);
        });

        await app.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool Authorized(string header, string password)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var expected = Encoding.UTF8.GetBytes($"{VirtualLab.BmcUser}:{password}");
            return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(header[6..].Trim()), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonObject RedfishError(string code, string message) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };
}
