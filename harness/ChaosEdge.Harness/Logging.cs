using Microsoft.Extensions.Logging;

namespace ChaosEdge;

/// <summary>Every log line ChaosEdge writes, with stable event names. Arguments are redacted by their callers.</summary>
public static partial class Logging
{
    [LoggerMessage(EventId = 1000, EventName = "SshConnecting", Level = LogLevel.Debug, Message = "Connecting to node '{Node}' ({Endpoint}), attempt {Attempt}.")]
    public static partial void SshConnecting(this ILogger logger, string node, string endpoint, int attempt);

    [LoggerMessage(EventId = 1001, EventName = "SshConnectRetry", Level = LogLevel.Warning, Message = "Connecting to node '{Node}' failed (attempt {Attempt}): {Error}. Retrying in {Delay}.")]
    public static partial void SshConnectRetry(this ILogger logger, string node, int attempt, string error, TimeSpan delay);

    [LoggerMessage(EventId = 1002, EventName = "SshConnected", Level = LogLevel.Information, Message = "Connected to node '{Node}' ({Endpoint}) in {Elapsed}.")]
    public static partial void SshConnected(this ILogger logger, string node, string endpoint, TimeSpan elapsed);

    [LoggerMessage(EventId = 1003, EventName = "NodeCommandCompleted", Level = LogLevel.Debug, Message = "Node '{Node}': '{Command}' exited {ExitCode} in {Elapsed}.")]
    public static partial void NodeCommandCompleted(this ILogger logger, string node, string command, int exitCode, TimeSpan elapsed);

    [LoggerMessage(EventId = 1004, EventName = "HostKeyRecorded", Level = LogLevel.Warning, Message = "Trusting node '{Node}' on first use; its host key was recorded in '{KnownHostsFile}'.")]
    public static partial void HostKeyRecorded(this ILogger logger, string node, string knownHostsFile);

    [LoggerMessage(EventId = 1005, EventName = "FileUploaded", Level = LogLevel.Debug, Message = "Node '{Node}': uploaded '{LocalPath}' to '{RemotePath}' in {Elapsed}.")]
    public static partial void FileUploaded(this ILogger logger, string node, string localPath, string remotePath, TimeSpan elapsed);

    [LoggerMessage(EventId = 1006, EventName = "SshConnectionLost", Level = LogLevel.Warning, Message = "The SSH connection to node '{Node}' ({Endpoint}) was lost: {Reason}. Reconnecting.")]
    public static partial void SshConnectionLost(this ILogger logger, string node, string endpoint, string reason);

    [LoggerMessage(EventId = 2000, EventName = "LabStep", Level = LogLevel.Information, Message = "Lab '{Lab}': {Step}")]
    public static partial void LabStep(this ILogger logger, string lab, string step);

    [LoggerMessage(EventId = 2001, EventName = "PackagesInstalling", Level = LogLevel.Information, Message = "Installing Debian packages: {Packages}.")]
    public static partial void PackagesInstalling(this ILogger logger, string packages);

    [LoggerMessage(EventId = 2002, EventName = "LabCleanup", Level = LogLevel.Information, Message = "Lab '{Lab}': removed {What}.")]
    public static partial void LabCleanup(this ILogger logger, string lab, string what);

    [LoggerMessage(EventId = 3000, EventName = "WatchReconnected", Level = LogLevel.Information, Message = "Watch of '{Path}' reconnects: {Reason} (last resourceVersion '{ResourceVersion}').")]
    public static partial void WatchReconnected(this ILogger logger, string path, string reason, string resourceVersion);
}
