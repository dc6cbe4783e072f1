using ChaosEdge.Errors;
using ChaosEdge.Kubernetes;
using ChaosEdge.Measurement.Timeline;

namespace ChaosEdge.Measurement.Probes;

/// <summary>
/// A Deployment's replicas as its clients have them: every 500 ms its pods are listed through the API (one request,
/// 450 ms timeout, on the Deployment's own selector), and the sample succeeds when at least the Deployment's desired
/// number of them are Ready, not terminating, and on a node that is up. Detail: the replicas counted.
/// <para>
/// The API learns that a node died only after the node grace period and calls its pods Ready until then. So pods on
/// <see cref="FaultedNodes"/> do not count from the moment the fault is injected (the timeline's
/// <see cref="TimelineEventKind.FaultInjected"/> mark) until its restore is verified: the outage runs from the fault
/// until replacements are Ready elsewhere — what Kubernetes takes to notice, evict, reschedule and start them.
/// </para>
/// </summary>
public sealed class WorkloadReadyProbe : IStartableProbe
{
    private readonly KubeClient client;
    private readonly string ns;
    private readonly string deployment;
    private readonly RunTimeline timeline;
    private string? selector;
    private int desired;

    /// <param name="name">Probe name (<c>workload-ready</c>).</param>
    /// <param name="kubeConfig">How to reach the API (through the control-plane VIP).</param>
    /// <param name="ns">The Deployment's namespace.</param>
    /// <param name="deployment">The Deployment's name.</param>
    /// <param name="timeline">The run's timeline, whose fault marks say when <paramref name="faultedNodes"/> are down.</param>
    /// <param name="faultedNodes">The nodes the scenario's fault takes down.</param>
    /// <param name="interval">The cadence; default 500 ms.</param>
    /// <param name="timeout">How long one list may take; default 450 ms, so one sample is in flight at a time.</param>
    public WorkloadReadyProbe(string name, KubeConfig kubeConfig, string ns, string deployment, RunTimeline timeline, IReadOnlyCollection<string> faultedNodes, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(kubeConfig);
        this.ns = ns;
        this.deployment = deployment;
        this.timeline = timeline ?? throw new ArgumentNullException(nameof(timeline));
        FaultedNodes = faultedNodes ?? throw new ArgumentNullException(nameof(faultedNodes));
        Series = new ProbeSeries(name, ProbeKinds.WorkloadReady, $"deployment {ns}/{deployment}", interval ?? TimeSpan.FromMilliseconds(500), timeout ?? TimeSpan.FromMilliseconds(450));
        client = new KubeClient(kubeConfig, TimeSpan.FromSeconds(2));
    }

    public ProbeSeries Series { get; }

    /// <summary>The nodes whose pods do not count while the fault is applied.</summary>
    public IReadOnlyCollection<string> FaultedNodes { get; }

    /// <summary>The Deployment's desired replicas, read when the probe started.</summary>
    public int Desired => desired;

    /// <summary>Reads the Deployment's desired replicas and selector.</summary>
    /// <exception cref="ChaosEdgeException">The Deployment is not there or selects nothing by labels.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var found = await client.TryCallAsync($"GET deployment {ns}/{deployment}", (c, t) => k8s.AppsV1OperationsExtensions.ReadNamespacedDeploymentAsync(c.AppsV1, deployment, ns, cancellationToken: t), cancellationToken).ConfigureAwait(false)
            ?? throw new ChaosEdgeException($"Deployment {ns}/{deployment} is not there; the probe '{Series.Name}' follows its replicas.");
        var labels = found.Spec?.Selector?.MatchLabels;
        if (labels is null || labels.Count == 0)
        {
            throw new ChaosEdgeException($"Deployment {ns}/{deployment} has no matchLabels selector; the probe '{Series.Name}' lists its pods by it.");
        }

        selector = string.Join(',', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        desired = found.Spec?.Replicas ?? 1;
    }

    public async ValueTask<Sample> SampleAsync(long sentAt, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        using var timeout = new CancellationTokenSource(Series.Timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var pods = await client.CallAsync($"LIST pods {ns} {selector}", (c, t) => k8s.CoreV1OperationsExtensions.ListNamespacedPodAsync(c.CoreV1, ns, labelSelector: selector, cancellationToken: t), linked.Token).ConfigureAwait(false);
            var down = Down(sentAt);
            var ready = pods.Items.Count(p => PodReadiness.IsBoundAndLive(p) && !down.Contains(p.Spec.NodeName) && PodReadiness.IsReady(p));
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ready >= desired ? ProbeOutcome.Success : ProbeOutcome.TooFew, (ushort)Math.Min(ready, ushort.MaxValue));
        }
        catch (KubeApiException e)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeOutcome.HttpStatus, (ushort)e.Status);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(sentAt, ProbeErrors.Latency(clock, sentAt), ProbeErrors.Classify(e), 0);
        }
    }

    /// <summary>The faulted nodes if the fault was injected and not yet verified restored at <paramref name="at"/>; else none.</summary>
    private IReadOnlyCollection<string> Down(long at) => FaultApplied(timeline.Events, at) ? FaultedNodes : [];

    /// <summary>
    /// Whether a fault was applied at <paramref name="at"/> by the timeline's marks: injected at or before it, and its
    /// restore not verified by then.
    /// </summary>
    internal static bool FaultApplied(IReadOnlyList<TimelineEvent> marks, long at)
    {
        ArgumentNullException.ThrowIfNull(marks);
        var applied = false;
        foreach (var mark in marks.Where(m => m.Timestamp <= at).OrderBy(m => m.Timestamp))
        {
            applied = mark.Kind switch
            {
                TimelineEventKind.FaultInjected => true,
                TimelineEventKind.RestoreVerified => false,
                _ => applied,
            };
        }

        return applied;
    }

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        return ValueTask.CompletedTask;
    }
}
