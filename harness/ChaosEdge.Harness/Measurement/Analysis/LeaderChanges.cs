using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Analysis;

/// <summary>Turns the etcd probe's samples into <see cref="TimelineEventKind.LeaderChanged"/> events on the timeline.</summary>
public static class LeaderChanges
{
    /// <summary>Marks each change of leader seen in <paramref name="series"/> on <paramref name="timeline"/>; returns how many.</summary>
    public static int Mark(RunTimeline timeline, ProbeSeries series)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(series);
        var samples = series.Samples.ToSortedArray();
        var count = 0;
        for (var i = 1; i < samples.Length; i++)
        {
            int before = samples[i - 1].Detail >> 8, after = samples[i].Detail >> 8;
            if (before != after)
            {
                timeline.Mark(TimelineEventKind.LeaderChanged, series.Name, $"{Name(series, before)} → {Name(series, after)}", samples[i].Timestamp);
                count++;
            }
        }

        return count;
    }

    private static string Name(ProbeSeries series, int leaderPlusOne) =>
        leaderPlusOne == 0 ? "no leader" : leaderPlusOne - 1 < series.Owners.Count ? series.Owners[leaderPlusOne - 1] : $"member {leaderPlusOne - 1}";
}
