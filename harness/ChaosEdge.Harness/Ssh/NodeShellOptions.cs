using System.ComponentModel.DataAnnotations;
using ChaosEdge.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChaosEdge.Ssh;

/// <summary>How a node shell connects and runs commands. Validated once, when the shell is built.</summary>
public sealed class NodeShellOptions
{
    /// <summary>Connection attempts before giving up, 1–50; default 5.</summary>
    [Range(1, 50)]
    public int ConnectAttempts { get; init; } = 5;

    /// <summary>Delay before the first retry, doubled each time with jitter; default 200 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>TCP connect and authentication timeout per attempt, 1 s–2 min; default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of a command that sets none; default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DefaultCommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Channels (commands, streams, uploads) open at once on the node's one connection, 2–1000; default 10, OpenSSH's
    /// default <c>MaxSessions</c>. One is kept for ending cancelled commands; a call past the rest waits for a channel.
    /// </summary>
    [Range(2, 1000)]
    public int MaxChannels { get; init; } = 10;

    /// <summary>The clock durations are measured on.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where connection attempts and commands are logged.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Throws <see cref="ChaosEdgeException"/> listing every invalid option.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ChaosEdgeException("Node shell options are invalid: " + string.Join(" ", results.Select(r => r.ErrorMessage)));
        }
    }
}
