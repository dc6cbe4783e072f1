namespace ChaosEdge.Reservations;

/// <summary>
/// How a run reserves its lab on a management cluster: a <c>coordination.k8s.io/v1</c> Lease named after the lab.
/// </summary>
public sealed record ReservationOptions
{
    /// <summary>Default <see cref="Duration"/>: 60 s, renewed every 20 s.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(60);

    /// <summary>Default <see cref="Wait"/>: 10 minutes.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(10);

    /// <summary>The lab's name (the inventory's <c>cluster.name</c>); the Lease is <c>chaosedge-lab-NAME</c>.</summary>
    public required string Lab { get; init; }

    /// <summary>The namespace the Lease lives in on the management cluster.</summary>
    public required string Namespace { get; init; }

    /// <summary>
    /// The Lease's <c>leaseDurationSeconds</c> (whole seconds, 5 s to 1 h; default 60 s): how long after its last
    /// renewal a holder that stopped renewing (killed, cut off) keeps the lab from everyone else. Renewed every third of it.
    /// </summary>
    public TimeSpan Duration { get; init; } = DefaultDuration;

    /// <summary>How long to wait for a lab another run holds before giving up (default 10 min; zero: give up at once).</summary>
    public TimeSpan Wait { get; init; } = DefaultWait;

    /// <summary>This run's <c>holderIdentity</c>: host, process id and a random suffix, unique per run.</summary>
    public string Identity { get; init; } = DefaultIdentity();

    /// <summary>What this run is (the command and inventory), written to the Lease's annotations for whoever finds it held.</summary>
    public string Purpose { get; init; } = string.Empty;

    /// <summary>The Lease's name: <c>chaosedge-lab-</c> and the lab's name.</summary>
    public string LeaseName => "chaosedge-lab-" + Lab;

    /// <summary>How often the holder renews: a third of the duration, so two renewals may fail before it runs out.</summary>
    public TimeSpan RenewInterval => Duration / 3;

    /// <summary>How often a waiting run looks again: every 2 s, or a fifth of a short duration.</summary>
    public TimeSpan RetryInterval => Duration / 5 < TimeSpan.FromSeconds(2) ? Duration / 5 : TimeSpan.FromSeconds(2);

    /// <summary>Every problem with these options, as sentences; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Duration < TimeSpan.FromSeconds(5) || Duration > TimeSpan.FromHours(1) || Duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"The reservation's duration '{Duration}' must be whole seconds from 5 s to 1 h.");
        }

        if (Wait < TimeSpan.Zero)
        {
            problems.Add($"The reservation's wait '{Wait}' must not be negative.");
        }

        if (Namespace.Length == 0)
        {
            problems.Add("The reservation needs a namespace on the management cluster.");
        }

        return problems;
    }

    private static string DefaultIdentity() =>
        $"{System.Environment.MachineName}-{System.Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}
