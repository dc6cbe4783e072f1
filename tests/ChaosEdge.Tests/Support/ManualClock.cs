namespace ChaosEdge.Tests.Support;

/// <summary>
/// A clock that moves only when told, ticking in microseconds, for unit tests of timing logic. Its timers (and so
/// <c>Task.Delay(…, clock)</c>) fire when <see cref="Advance"/> moves the clock past their due time, in due order, with
/// the clock standing at each one's due time while its callback runs.
/// </summary>
public sealed class ManualClock(DateTimeOffset? start = null) : TimeProvider
{
    private readonly Lock gate = new();
    private readonly List<ManualTimer> timers = [];
    private long now;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => Interlocked.Read(ref now);

    public override DateTimeOffset GetUtcNow() => (start ?? new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero)).AddTicks(Interlocked.Read(ref now) * 10);

    /// <summary>Moves the clock on by <paramref name="by"/>, firing the timers that fall due on the way.</summary>
    public void Advance(TimeSpan by)
    {
        var target = Interlocked.Read(ref now) + Ticks(by);
        while (true)
        {
            ManualTimer? next;
            lock (gate)
            {
                next = timers.Where(t => t.Due <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    break;
                }

                Interlocked.Exchange(ref now, Math.Max(Interlocked.Read(ref now), next.Due));
                next.Fired();
            }

            // Outside the lock: the callback may create or change timers (a Task.Delay's continuation does).
            next.Invoke();
        }

        Interlocked.Exchange(ref now, Math.Max(Interlocked.Read(ref now), target));
    }

    /// <summary>Whether anything waits on one of this clock's timers.</summary>
    public bool HasPendingTimers
    {
        get
        {
            lock (gate)
            {
                return timers.Count > 0;
            }
        }
    }

    /// <summary>Moves the clock to the earliest timer's due time and fires it (and any due with it); false when none waits.</summary>
    public bool AdvanceToNextTimer()
    {
        long due;
        lock (gate)
        {
            if (timers.Count == 0)
            {
                return false;
            }

            due = timers.Min(t => t.Due);
        }

        Advance(TimeSpan.FromMilliseconds(Math.Max(0, due - Interlocked.Read(ref now)) / 1000.0));
        return true;
    }

    /// <summary>The timestamp <paramref name="milliseconds"/> after the clock's zero.</summary>
    public static long At(double milliseconds) => (long)(milliseconds * 1000);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private static long Ticks(TimeSpan value) => (long)(value.TotalMilliseconds * 1000);

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long period;

        public long Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock.gate)
            {
                clock.timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                Due = clock.GetTimestamp() + Ticks(dueTime);
                this.period = period == Timeout.InfiniteTimeSpan ? 0 : Ticks(period);
                clock.timers.Add(this);
            }

            return true;
        }

        /// <summary>Under the clock's lock: the next due time for a periodic timer, or off the list.</summary>
        public void Fired()
        {
            if (period > 0)
            {
                Due += period;
            }
            else
            {
                clock.timers.Remove(this);
            }
        }

        public void Invoke() => callback(state);

        public void Dispose()
        {
            lock (clock.gate)
            {
                clock.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
