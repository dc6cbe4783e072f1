using ChaosEdge.Scenarios;

namespace ChaosEdge.Tests.Support;

/// <summary>A nightly run's progress lines, kept for assertions and echoed to the test's progress output.</summary>
public sealed class NightlyLines(List<string> lines) : IProgress<string>
{
    public void Report(string value)
    {
        lock (lines)
        {
            lines.Add(value);
        }

        TestContext.Progress.WriteLine("nightly: " + value);
    }
}

/// <summary>A nightly run's scenario phases and steps, as lines in the same list; <see cref="OnPhase"/> sees each phase start.</summary>
public sealed class NightlyObserver(List<string> lines) : IScenarioObserver
{
    public Action<ScenarioPhase>? OnPhase { get; init; }

    public void PhaseStarted(ScenarioPhase phase, string description)
    {
        new NightlyLines(lines).Report($"{phase}: {description}");
        OnPhase?.Invoke(phase);
    }

    public void PhaseEnded(ScenarioPhase phase, Exception? error)
    {
    }

    public void Step(string line) => new NightlyLines(lines).Report("  " + line);
}
