using Microsoft.Extensions.Logging;

namespace ChaosEdge;

/// <summary>
/// A logger that reports lines at <see cref="LogLevel.Warning"/> and above to a run's progress (its terminal display and
/// log), so that what a component only logs — a lost node connection, a retried connect — is never silent.
/// </summary>
/// <param name="progress">Where the lines go.</param>
public sealed class ProgressLogger(IProgress<string> progress) : ILogger
{
    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            progress.Report(formatter(state, exception));
        }
    }
}
