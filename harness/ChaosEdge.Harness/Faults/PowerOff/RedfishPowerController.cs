using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using ChaosEdge.Errors;
using ChaosEdge.Inventory;

namespace ChaosEdge.Faults.PowerOff;

/// <summary>
/// Power through a Redfish BMC: <c>ComputerSystem.Reset</c> with <c>ForceOff</c> / <c>On</c> on the first member of
/// <c>/redfish/v1/Systems</c>, its <c>PowerState</c> read back. HTTPS with the certificate verified — against the
/// inventory's <c>caCertificate</c> when it names one, else the system's trust store — and the BMC address checked
/// against the certificate's names.
/// </summary>
public sealed class RedfishPowerController(string node, BmcSpec bmc) : IPowerController
{
    public string Description => $"Redfish BMC {bmc.Address}";

    public Task PowerOffAsync(CancellationToken cancellationToken = default) => ResetAsync("ForceOff", cancellationToken);

    public Task PowerOnAsync(CancellationToken cancellationToken = default) => ResetAsync("On", cancellationToken);

    public async Task<bool> IsOnAsync(CancellationToken cancellationToken = default)
    {
        using var http = Client();
        var system = await GetAsync(http, await SystemPathAsync(http, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return (string?)system["PowerState"] switch
        {
            "On" or "PoweringOff" => true,
            "Off" or "PoweringOn" => false,
            var other => throw new FaultInjectionException($"The Redfish BMC of node '{node}' ({bmc.Address}) reports an unknown PowerState '{other}'."),
        };
    }

    private async Task ResetAsync(string resetType, CancellationToken cancellationToken)
    {
        using var http = Client();
        var system = await SystemPathAsync(http, cancellationToken).ConfigureAwait(false);
        var target = (string?)(await GetAsync(http, system, cancellationToken).ConfigureAwait(false))["Actions"]?["#ComputerSystem.Reset"]?["target"]
            ?? system + "/Actions/ComputerSystem.Reset";
        using var content = new StringContent(new JsonObject { ["ResetType"] = resetType }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(target, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new FaultInjectionException($"The Redfish BMC of node '{node}' ({bmc.Address}) refused ResetType '{resetType}': {(int)response.StatusCode} {Secrets.SecretRedactor.Redact(body)}");
        }
    }

    private async Task<string> SystemPathAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var systems = await GetAsync(http, "/redfish/v1/Systems", cancellationToken).ConfigureAwait(false);
        return (string?)systems["Members"]?[0]?["@odata.id"]
            ?? throw new FaultInjectionException($"The Redfish BMC of node '{node}' ({bmc.Address}) lists no computer system.");
    }

    private async Task<JsonObject> GetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new FaultInjectionException($"The Redfish BMC of node '{node}' ({bmc.Address}) answered GET {path} with {(int)response.StatusCode}.");
        }

        return JsonNode.Parse(body) as JsonObject ?? throw new FaultInjectionException($"The Redfish BMC of node '{node}' answered GET {path} with something that is not a JSON object.");
    }

    private HttpClient Client()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (bmc.CaCertificatePath is { } caPath)
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Kubernetes.KubeClient.Verify(ca, certificate, errors);
        }

        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = new Uri($"https://{bmc.Address}/"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{bmc.Username}:{bmc.Password.Resolve()}")));
        return http;
    }
}
