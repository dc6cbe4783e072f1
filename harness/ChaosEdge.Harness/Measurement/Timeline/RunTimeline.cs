using System.Collections.Concurrent;

namespace ChaosEdge.Measurement.Timeline;

/// <summary>
/// Every sample of every probe and every event of one run, on one monotonic clock (the <see cref="TimeProvider"/>'s
/// timestamps). Wall-clock time is kept only to display instants: <see cref="ToWallClock"/>.
/// </summary>
public sealed class RunTimeline
{
    private readonly ConcurrentDictionary<string, ProbeSeries> probes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TimelineEvent> events = new();

    public RunTimeline(TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
        StartTimestamp = Clock.GetTimestamp();
        StartedAt = Clock.GetUtcNow();
    }

    public TimeProvider Clock { get; }

    /// <summary>The clock's timestamp when the timeline began.</summary>
    public long StartTimestamp { get; }

    /// <summary>Wall-clock time when the timeline began, for display.</summary>
    public DateTimeOffset StartedAt { get; }

    public IReadOnlyCollection<ProbeSeries> Probes => [.. probes.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];

    public IReadOnlyList<TimelineEvent> Events => [.. events.OrderBy(e => e.Timestamp)];

    /// <summary>Adds a probe's series; its name must be new on this timeline.</summary>
    public ProbeSeries Add(ProbeSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (!probes.TryAdd(series.Name, series))
        {
            throw new ArgumentException($"The timeline already has a probe named '{series.Name}'.", nameof(series));
        }

        return series;
    }

    public ProbeSeries Probe(string name) =>
        probes.TryGetValue(name, out var series) ? series : throw new KeyNotFoundException($"The timeline has no probe named '{name}'.");

    /// <summary>Records an event now (or at <paramref name="timestamp"/>) and returns its timestamp.</summary>
    public long Mark(TimelineEventKind kind, string subject, string? detail = null, long? timestamp = null)
    {
        var at = timestamp ?? Clock.GetTimestamp();
        events.Enqueue(new TimelineEvent(at, kind, subject, detail));
        return at;
    }

    /// <summary>Time from the start of the timeline to <paramref name="timestamp"/>.</summary>
    public TimeSpan Offset(long timestamp) => Clock.GetElapsedTime(StartTimestamp, timestamp);

    /// <summary>The wall-clock instant of <paramref name="timestamp"/>, for display only.</summary>
    public DateTimeOffset ToWallClock(long timestamp) => StartedAt + Offset(timestamp);
}
