using ChaosEdge.Errors;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Faults;

/// <summary>
/// One applied fault with a guaranteed restore: journalled before it is injected, marked on the timeline when injected,
/// when it took effect, when restored and when the restore was verified, and taken off the journal only then.
/// Disposing a session that was not restored restores it.
/// </summary>
public sealed class FaultSession : IAsyncDisposable
{
    private readonly FaultContext context;
    private readonly FaultJournal journal;
    private readonly RunTimeline? timeline;
    private bool restored;

    private FaultSession(IFault fault, FaultContext context, FaultJournal journal, RunTimeline? timeline)
    {
        Fault = fault;
        this.context = context;
        this.journal = journal;
        this.timeline = timeline;
    }

    public IFault Fault { get; }

    /// <summary>When the fault took effect (the timeline's clock).</summary>
    public long TookEffect { get; private set; }

    /// <summary>Journals, injects and verifies the fault; on any failure restores what was applied and rethrows.</summary>
    public static async Task<FaultSession> InjectAsync(IFault fault, FaultContext context, FaultJournal journal, RunTimeline? timeline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(journal);
        var session = new FaultSession(fault, context, journal, timeline);
        journal.Write(fault.Record with { State = FaultState.Injecting });
        timeline?.Mark(TimelineEventKind.FaultInjected, fault.Description, fault.Record.Id);
        try
        {
            await fault.InjectAsync(context, cancellationToken).ConfigureAwait(false);
            journal.Write(fault.Record with { State = FaultState.Applied });
            session.TookEffect = await fault.VerifyEffectAsync(context, cancellationToken).ConfigureAwait(false);
            timeline?.Mark(TimelineEventKind.FaultTookEffect, fault.Description, fault.Record.Id, session.TookEffect);
            return session;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl+C, SIGTERM, a lost reservation) while injecting: not a failed injection.
            context.Report($"Interrupted while injecting {fault.Description}; restoring what was applied");
            await session.DisposeAsync().ConfigureAwait(false);
            context.Report($"Restored and verified {fault.Description}");
            throw;
        }
        catch (Exception e)
        {
            context.Report($"Injecting {fault.Description} failed ({e.Message}); restoring what was applied");
            await session.DisposeAsync().ConfigureAwait(false);
            throw e is FaultInjectionException ? e : new FaultInjectionException($"Injecting {fault.Description} failed: {e.Message}", e);
        }
    }

    /// <summary>Restores the fault and verifies it; the journal entry is removed only after that.</summary>
    /// <exception cref="FaultRevertException">The fault could not be restored; it stays in the journal for <c>chaosedge recover</c>.</exception>
    public async Task RestoreAsync(CancellationToken cancellationToken = default)
    {
        if (restored)
        {
            return;
        }

        try
        {
            await Fault.RestoreAsync(context, cancellationToken).ConfigureAwait(false);
            timeline?.Mark(TimelineEventKind.FaultRestored, Fault.Description, Fault.Record.Id);
            await Fault.VerifyRestoredAsync(context, cancellationToken).ConfigureAwait(false);
            timeline?.Mark(TimelineEventKind.RestoreVerified, Fault.Description, Fault.Record.Id);
        }
        catch (Exception e) when (e is not FaultRevertException and not OperationCanceledException)
        {
            throw new FaultRevertException($"Restoring {Fault.Description} failed: {e.Message} The journal '{journal.Path}' still lists it; 'chaosedge recover' retries.", e);
        }

        journal.Remove(Fault.Record.Id);
        restored = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!restored)
        {
            // The guaranteed restore: not cancellable by the caller's token, bounded so a dead lab cannot hang the run.
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            await RestoreAsync(limit.Token).ConfigureAwait(false);
        }
    }
}
