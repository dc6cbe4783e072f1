using System.Net;

namespace ChaosEdge.NodeRuntime;

/// <summary>
/// The lab's sample edge application (standing for Node-RED): answers HTTP with the pod and node that served the
/// request, so a probe through the service VIP sees which replica answered.
/// </summary>
internal static class EdgeApp
{
    public static async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var listen = args.Length > 1 && args[0] == "--listen" ? IPEndPoint.Parse(args[1]) : new IPEndPoint(IPAddress.Any, 1880);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        var app = builder.Build();
        var pod = Environment.GetEnvironmentVariable("POD_NAME") ?? "edge-app";
        var node = Environment.GetEnvironmentVariable("NODE_NAME") ?? Environment.MachineName;
        app.Run(context => context.Response.WriteAsync($"edge-app pod={pod} node={node}\n", context.RequestAborted));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
