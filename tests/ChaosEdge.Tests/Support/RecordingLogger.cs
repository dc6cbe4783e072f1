using Microsoft.Extensions.Logging;

namespace ChaosEdge.Tests.Support;

/// <summary>A logger that keeps every line it is given, with its event name, for tests that check what was reported.</summary>
public sealed class RecordingLogger : ILogger
{
    private readonly List<(string Event, string Message)> lines = [];

    /// <summary>The lines logged so far.</summary>
    public IReadOnlyList<(string Event, string Message)> Lines
    {
        get
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (lines)
        {
            lines.Add((eventId.Name ?? string.Empty, formatter(state, exception)));
        }
    }
}
