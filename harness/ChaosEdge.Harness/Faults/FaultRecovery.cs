using ChaosEdge.Faults.Journal;

namespace ChaosEdge.Faults;

/// <summary>What <c>chaosedge recover</c> did with one journalled fault.</summary>
/// <param name="Record">The journal entry.</param>
/// <param name="Restored">Whether it is now verified restored (and off the journal).</param>
/// <param name="Detail">What was done, or why it failed.</param>
public sealed record RecoveryOutcome(FaultRecord Record, bool Restored, string Detail);

/// <summary>Undoes every fault the journal says may still be applied (after a crash or SIGKILL of the harness).</summary>
public static class FaultRecovery
{
    public static async Task<IReadOnlyList<RecoveryOutcome>> RecoverAsync(FaultContext context, FaultJournal journal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(journal);
        var outcomes = new List<RecoveryOutcome>();

        // Newest first: faults applied on top of others are undone before them.
        foreach (var record in journal.Pending().Reverse())
        {
            var fault = FaultFactory.FromRecord(record);
            context.Report($"Journal: {fault.Description} ({record.Id}, {record.State.ToString().ToLowerInvariant()} since {record.InjectedAt:u})");
            try
            {
                await fault.RestoreAsync(context, cancellationToken).ConfigureAwait(false);
                await fault.VerifyRestoredAsync(context, cancellationToken).ConfigureAwait(false);
                journal.Remove(record.Id);
                outcomes.Add(new RecoveryOutcome(record, true, $"{fault.Description}: restored and verified"));
            }
            catch (Exception e) when (e is Errors.ChaosEdgeException or TimeoutException)
            {
                outcomes.Add(new RecoveryOutcome(record, false, $"{fault.Description}: NOT restored: {e.Message}"));
            }
        }

        return outcomes;
    }
}
