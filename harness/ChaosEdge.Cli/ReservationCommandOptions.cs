using System.CommandLine;
using ChaosEdge.Errors;
using ChaosEdge.Faults;
using ChaosEdge.Faults.Journal;
using ChaosEdge.Inventory;
using ChaosEdge.Kubernetes;
using ChaosEdge.Reservations;

namespace ChaosEdge.Cli;

/// <summary>
/// <c>--reserve-with KUBECONFIG|in-cluster</c> and its companions, for the commands that fault a lab: the lab is reserved
/// with a Lease on a management cluster before anything touches it, faults a previous holder left in the journal are
/// recovered first, and the run stops (its fault restored, exit 2) if the reservation is lost. Without the option
/// nothing changes.
/// </summary>
internal sealed class ReservationCommandOptions
{
    private readonly Option<string?> with = new("--reserve-with")
    {
        Description = "Reserve the lab first with a Lease 'chaosedge-lab-CLUSTER' on a management cluster: this kubeconfig (its current context), or 'in-cluster' for the pod's service account. A second run for the lab waits (--reserve-wait), then exits 2 naming the holder.",
    };

    private readonly Option<string> wait = new("--reserve-wait") { Description = "With --reserve-with: how long to wait for a lab another run holds (0s: not at all).", DefaultValueFactory = _ => "10m" };
    private readonly Option<string> duration = new("--reserve-duration") { Description = "With --reserve-with: the Lease's duration, renewed every third of it; a killed holder keeps the lab this long after its last renewal (5s to 1h).", DefaultValueFactory = _ => "60s" };
    private readonly Option<string?> space = new("--reserve-namespace") { Description = "With --reserve-with: the Lease's namespace (default: the context's namespace, the pod's in-cluster, else 'default')." };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(with);
        command.Options.Add(wait);
        command.Options.Add(duration);
        command.Options.Add(space);
    }

    /// <summary>The reservation asked for, checked whole (kubeconfig, durations); null without <c>--reserve-with</c>.</summary>
    public Request? Read(ParseResult parse, LabInventory? lab, string purpose)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var problems = new List<string>();
        TimeSpan Duration(Option<string> option)
        {
            var text = parse.GetValue(option)!;
            if (ValueParsers.TryParseDuration(text, out var value))
            {
                return value;
            }

            problems.Add($"{option.Name} '{text}' is not a duration such as 30s or 10m.");
            return TimeSpan.Zero;
        }

        var waitFor = Duration(wait);
        var lease = Duration(duration);
        if (parse.GetValue(with) is not { } source)
        {
            return parse.GetResult(wait) is { Implicit: false } || parse.GetResult(duration) is { Implicit: false } || parse.GetValue(space) is not null
                ? throw new ChaosEdgeException("--reserve-wait, --reserve-duration and --reserve-namespace go with --reserve-with KUBECONFIG.")
                : null;
        }

        if (lab is null)
        {
            throw new ChaosEdgeException("--reserve-with reserves a lab given by --inventory; the built-in virtual lab is this machine's own.");
        }

        var config = source == "in-cluster" ? KubeConfig.InCluster() : KubeConfig.Load(source);
        var options = new ReservationOptions
        {
            Lab = lab.ClusterName, Namespace = parse.GetValue(space) ?? config.Namespace ?? "default",
            Wait = waitFor, Duration = lease, Purpose = purpose,
        };
        problems.AddRange(options.Problems());
        return problems.Count > 0 ? throw new ChaosEdgeException(string.Join(" ", problems)) : new Request(config, options);
    }

    /// <summary>Runs <paramref name="body"/> with the lab reserved (when <paramref name="request"/> asks for it).</summary>
    public static async Task<int> RunAsync(Request? request, LabInventory? lab, IProgress<string> progress, bool recoverFirst, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (request is null || lab is null)
        {
            return await body(cancellationToken);
        }

        await using var reservation = await LabReservation.AcquireAsync(request.Config, request.Options, progress, cancellationToken: cancellationToken);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, reservation.Lost);
        int exit;
        try
        {
            if (recoverFirst)
            {
                await RecoverAsync(lab, reservation, progress, linked.Token);
            }

            exit = await body(linked.Token);
        }
        catch (Exception e) when (reservation.LostReason is not null && e is OperationCanceledException or ChaosEdgeException)
        {
            // Stopped because the lab was lost (a fault being injected is restored by its session): said once below.
            exit = Terminal.Output.CouldNotComplete;
        }

        if (reservation.LostReason is { } reason)
        {
            await Console.Error.WriteLineAsync($"chaosedge: the reservation of lab '{lab.ClusterName}' was lost ({reason}); the run was stopped and its fault restored.");
            return Terminal.Output.CouldNotComplete;
        }

        return exit;
    }

    /// <summary>Undoes what the journal says a run before this one (killed, cut off) left applied, before this run faults anything.</summary>
    private static async Task RecoverAsync(LabInventory lab, LabReservation reservation, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var journal = FaultJournal.For(lab);
        var pending = journal.Pending();
        if (pending.Count == 0)
        {
            return;
        }

        progress.Report($"The journal '{journal.Path}' lists {pending.Count} fault(s) an earlier run left applied{(reservation.PreviousHolder is { } holder ? $" (the previous holder '{holder}' stopped renewing)" : string.Empty)}: recovering them first");
        await using var shells = new FaultCommands.Shells(lab);
        var outcomes = await FaultRecovery.RecoverAsync(new FaultContext(lab, shells.ByName, TimeProvider.System, progress.Report), journal, cancellationToken);
        foreach (var outcome in outcomes)
        {
            progress.Report($"{(outcome.Restored ? "RESTORED" : "FAILED")} {outcome.Record.Id}: {outcome.Detail}");
        }

        if (outcomes.Any(o => !o.Restored))
        {
            throw new ChaosEdgeException($"A fault an earlier run left applied could not be restored (see above); the lab needs a look before it is faulted again ('chaosedge recover --inventory {lab.SourcePath}').");
        }
    }

    /// <summary>A checked reservation request.</summary>
    internal sealed record Request(KubeConfig Config, ReservationOptions Options);
}
