using System.Buffers;
using System.Numerics;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Analysis;

/// <summary>
/// Turns one probe's samples into figures for a window: availability, outage windows, takeover time after a fault,
/// errors, latency percentiles and, for ownership probes, duplicate-owner time. One pass over the samples plus a
/// linear-time selection for the percentiles.
/// </summary>
public static class ProbeAnalyzer
{
    /// <param name="series">The probe (its name, kind and cadence).</param>
    /// <param name="samples">Its samples, sorted by timestamp (as <see cref="SampleBuffer.ToSortedArray"/> returns them).</param>
    /// <param name="clock">The clock the timestamps come from.</param>
    /// <param name="origin">The timeline's start timestamp: offsets in the figures are from here.</param>
    /// <param name="windowStart">First timestamp of the window (inclusive).</param>
    /// <param name="windowEnd">End of the window (exclusive).</param>
    /// <param name="faultTookEffect">When the fault took effect, if one did in this window.</param>
    /// <param name="options">Analysis settings; defaults when null.</param>
    public static ProbeFigures Analyze(
        ProbeSeries series, ReadOnlySpan<Sample> samples, TimeProvider clock, long origin, long windowStart, long windowEnd, long? faultTookEffect = null, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(clock);
        options ??= new AnalysisOptions();
        var frequency = clock.TimestampFrequency;
        var first = LowerBound(samples, windowStart);
        var window = samples[first..LowerBound(samples, windowEnd)];
        var intervalTicks = (long)(series.Interval.TotalSeconds * frequency);

        var outages = new List<OutageWindow>();
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = 0;
        var missed = 0;
        var largestGap = 0L;
        var outageStart = -1L;
        var outageStartedEarlierBy = 0L;
        var lastFailureSent = 0L;
        var outageFailures = 0;
        Dictionary<string, int>? outageCauses = null;
        long? takeoverAt = null;
        var runStart = -1L;
        var run = 0;
        var recovered = faultTookEffect is null;
        long duplicateTicks = 0;
        long duplicateLeastTicks = 0;
        long duplicateEntryTicks = 0;
        var ownerChanges = 0;
        var owners = series.Kind == ProbeKinds.VipOwner;
        var etcd = series.Kind == ProbeKinds.Etcd;
        var leaderChanges = 0;
        var latencies = ArrayPool<int>.Shared.Rent(Math.Max(1, window.Length));
        var successes = 0;
        try
        {
            for (var i = 0; i < window.Length; i++)
            {
                ref readonly var sample = ref window[i];
                if (i > 0 && intervalTicks > 0)
                {
                    var gap = sample.Timestamp - window[i - 1].Timestamp;
                    largestGap = Math.Max(largestGap, gap);
                    if (etcd && (window[i - 1].Detail >> 8) != (sample.Detail >> 8))
                    {
                        leaderChanges++;
                    }

                    if (owners)
                    {
                        var before = BitOperations.PopCount(window[i - 1].Detail) >= 2;
                        var now = BitOperations.PopCount(sample.Detail) >= 2;
                        if (before)
                        {
                            duplicateTicks += gap;
                            duplicateLeastTicks += now ? gap : 0;
                        }
                        else if (now)
                        {
                            duplicateEntryTicks += gap;
                        }

                        if (window[i - 1].Detail != sample.Detail)
                        {
                            ownerChanges++;
                        }
                    }
                }

                if (sample.Succeeded)
                {
                    latencies[successes++] = sample.LatencyMicroseconds;

                    // A success proves the service only at the instant it was answered: a connection attempt sent during
                    // the outage can wait in a neighbour queue and succeed the moment the new owner appears.
                    var answeredAt = AnsweredAt(sample, frequency);
                    if (outageStart >= 0)
                    {
                        outages.Add(Outage(clock, origin, outageStart, answeredAt, outageFailures, outageCauses!) with
                        {
                            StartedEarlierBy = Ticks(outageStartedEarlierBy, frequency),
                            EndedEarlierBy = Ticks(Math.Max(0, answeredAt - lastFailureSent), frequency),
                        });
                        outageStart = -1;
                    }

                    if (faultTookEffect is { } fault && takeoverAt is null && sample.Timestamp >= fault)
                    {
                        if (run == 0)
                        {
                            runStart = answeredAt;
                        }

                        if (++run >= options.SustainedSuccesses)
                        {
                            takeoverAt = runStart;
                            recovered = true;
                        }
                    }
                }
                else
                {
                    failures++;
                    run = 0;
                    var cause = Cause(sample);
                    errors[cause] = errors.GetValueOrDefault(cause) + 1;
                    if (outageStart < 0)
                    {
                        outageStart = sample.Timestamp;
                        outageStartedEarlierBy = i == 0
                            ? intervalTicks
                            : Math.Max(0, sample.Timestamp - AnsweredAt(window[i - 1], frequency));
                        outageFailures = 0;
                        outageCauses = new Dictionary<string, int>(StringComparer.Ordinal);
                    }

                    outageFailures++;
                    lastFailureSent = sample.Timestamp;
                    outageCauses![cause] = outageCauses.GetValueOrDefault(cause) + 1;
                }
            }

            if (window.Length > 1 && intervalTicks > 0)
            {
                // The slots the cadence called for between the first and the last sample, less the samples taken.
                var slots = (long)Math.Round((double)(window[^1].Timestamp - window[0].Timestamp) / intervalTicks) + 1;
                missed = (int)Math.Max(0, slots - window.Length);
            }

            if (outageStart >= 0)
            {
                outages.Add(Outage(clock, origin, outageStart, null, outageFailures, outageCauses!) with
                {
                    Duration = clock.GetElapsedTime(outageStart, windowEnd),
                    StartedEarlierBy = Ticks(outageStartedEarlierBy, frequency),
                    EndedEarlierBy = clock.GetElapsedTime(lastFailureSent, windowEnd),
                });
            }

            // A run of successes cut short by the end of the window still counts, once it is as long as the data allows.
            if (faultTookEffect is not null && takeoverAt is null && run > 0 && outageStart < 0)
            {
                takeoverAt = runStart;
                recovered = true;
            }

            return new ProbeFigures
            {
                Probe = series.Name,
                Resolution = series.Interval,
                ClockError = series.ClockError,
                WindowStart = clock.GetElapsedTime(origin, windowStart),
                WindowEnd = clock.GetElapsedTime(origin, windowEnd),
                Samples = window.Length,
                Failures = failures,
                MissedSamples = missed,
                LargestGap = TimeSpan.FromSeconds((double)largestGap / frequency),
                Outages = outages,
                FaultTookEffect = faultTookEffect is { } f ? clock.GetElapsedTime(origin, f) : null,
                TakeoverTime = takeoverAt is { } t && faultTookEffect is { } effect ? clock.GetElapsedTime(effect, Math.Max(t, effect)) : null,
                Recovered = recovered,
                Errors = errors,
                Latency = successes == 0 ? null : Percentiles(latencies.AsSpan(0, successes)),
                DuplicateOwnerTime = owners ? Ticks(duplicateTicks, frequency) : null,
                DuplicateOwnerLeast = owners ? Ticks(duplicateLeastTicks, frequency) : null,
                DuplicateOwnerMost = owners ? Ticks(duplicateTicks + duplicateEntryTicks, frequency) : null,
                OwnerChanges = owners ? ownerChanges : null,
                LeaderChanges = etcd ? leaderChanges : null,
            };
        }
        finally
        {
            ArrayPool<int>.Shared.Return(latencies);
        }
    }

    /// <summary>
    /// Every probe of <paramref name="timeline"/>, analysed over the same window; takeover times count from the first
    /// <see cref="TimelineEventKind.FaultTookEffect"/> event, when the timeline has one.
    /// </summary>
    public static IReadOnlyList<ProbeFigures> AnalyzeAll(RunTimeline timeline, long windowStart, long windowEnd, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        long? fault = timeline.Events.FirstOrDefault(e => e.Kind == TimelineEventKind.FaultTookEffect) is { } effect ? effect.Timestamp : null;
        return [.. timeline.Probes.Select(p => Analyze(p, p.Samples.ToSortedArray(), timeline.Clock, timeline.StartTimestamp, windowStart, windowEnd, fault, options))];
    }

    private static OutageWindow Outage(TimeProvider clock, long origin, long start, long? end, int failed, Dictionary<string, int> causes) =>
        new(clock.GetElapsedTime(origin, start), end is { } e ? clock.GetElapsedTime(origin, e) : null, failed, causes.MaxBy(c => c.Value).Key)
        {
            Duration = end is { } stop ? clock.GetElapsedTime(start, stop) : TimeSpan.Zero,
        };

    /// <summary>When a sample was answered (or given up on), in timestamp ticks.</summary>
    private static long AnsweredAt(in Sample sample, long frequency) => sample.Timestamp + (sample.LatencyMicroseconds * frequency / 1_000_000);

    private static TimeSpan Ticks(long ticks, long frequency) => TimeSpan.FromSeconds((double)ticks / frequency);

    private static string Cause(in Sample sample) => sample.Outcome switch
    {
        ProbeOutcome.HttpStatus => $"HTTP {sample.Detail}",
        ProbeOutcome.DnsRcode => $"rcode {sample.Detail}",
        ProbeOutcome.TooFew => $"{sample.Detail} ready",
        _ => sample.Outcome.ToString(),
    };

    /// <summary>Index of the first sample at or after <paramref name="timestamp"/>.</summary>
    private static int LowerBound(ReadOnlySpan<Sample> samples, long timestamp)
    {
        int low = 0, high = samples.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (samples[mid].Timestamp < timestamp)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static LatencyFigures Percentiles(Span<int> values)
    {
        // Nearest-rank percentiles by selection (linear time), which reorders the span: the buffer is ours.
        var p50 = Select(values, Rank(values.Length, 0.50));
        var p90 = Select(values, Rank(values.Length, 0.90));
        var p99 = Select(values, Rank(values.Length, 0.99));
        var max = Select(values, values.Length - 1);
        return new LatencyFigures(Micro(p50), Micro(p90), Micro(p99), Micro(max));
    }

    private static int Rank(int count, double quantile) => Math.Clamp((int)Math.Ceiling(quantile * count) - 1, 0, count - 1);

    private static TimeSpan Micro(int value) => TimeSpan.FromTicks(value * (TimeSpan.TicksPerMillisecond / 1000));

    /// <summary>The k-th smallest value (Hoare's selection, median-of-three pivot).</summary>
    private static int Select(Span<int> values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (left < right)
        {
            var mid = left + ((right - left) / 2);
            var pivot = Median(values[left], values[mid], values[right]);
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return values[k];
            }
        }

        return values[k];
    }

    private static int Median(int a, int b, int c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
