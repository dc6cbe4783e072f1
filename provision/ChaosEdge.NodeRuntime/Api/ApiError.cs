using System.Text.Json.Nodes;

namespace ChaosEdge.NodeRuntime.Api;

/// <summary>An API error, answered as a Kubernetes <c>Status</c> object with the matching HTTP code.</summary>
internal sealed class ApiError(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public static ApiError NotFound(ResourceInfo resource, string name) => new(404, "NotFound", $"{resource.Plural}{Group(resource)} \"{name}\" not found");

    public static ApiError AlreadyExists(ResourceInfo resource, string name) => new(409, "AlreadyExists", $"{resource.Plural}{Group(resource)} \"{name}\" already exists");

    public static ApiError Conflict(ResourceInfo resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource.Plural}{Group(resource)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError Expired(string message) => new(410, "Expired", message);

    public static ApiError Unavailable(string message) => new(503, "ServiceUnavailable", message);

    public static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
        ["message"] = message, ["reason"] = reason, ["code"] = code,
    };

    public JsonObject ToStatus() => Status(Code, Reason, Message);

    private static string Group(ResourceInfo resource) => resource.Group.Length == 0 ? string.Empty : "." + resource.Group;
}
