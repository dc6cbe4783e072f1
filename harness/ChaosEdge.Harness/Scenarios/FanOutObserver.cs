namespace ChaosEdge.Scenarios;

/// <summary>
/// The one observer that fans a scenario's events out to several (the console, the log, Allure, a test's output), in
/// the order given; the live probe states go to every one that wants them.
/// </summary>
public sealed class FanOutObserver(params IScenarioObserver[] observers) : IScenarioObserver
{
    public void PhaseStarted(ScenarioPhase phase, string description)
    {
        foreach (var observer in observers)
        {
            observer.PhaseStarted(phase, description);
        }
    }

    public void PhaseEnded(ScenarioPhase phase, Exception? error)
    {
        foreach (var observer in observers)
        {
            observer.PhaseEnded(phase, error);
        }
    }

    public void Step(string line)
    {
        foreach (var observer in observers)
        {
            observer.Step(line);
        }
    }

    public void ProbesNow(IReadOnlyList<LiveProbe> probes)
    {
        foreach (var observer in observers)
        {
            observer.ProbesNow(probes);
        }
    }
}

/// <summary>An observer that reports each event as a line of progress (a log, a plain console).</summary>
public sealed class ProgressObserver(IProgress<string> progress) : IScenarioObserver
{
    public void PhaseStarted(ScenarioPhase phase, string description) => progress.Report($"  {phase}: {description}");

    public void PhaseEnded(ScenarioPhase phase, Exception? error)
    {
        if (error is not null)
        {
            progress.Report($"  {phase} failed: {error.Message}");
        }
    }

    public void Step(string line) => progress.Report("    " + line);
}
