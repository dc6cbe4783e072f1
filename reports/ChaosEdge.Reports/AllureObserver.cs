using ChaosEdge.Scenarios;

namespace ChaosEdge.Reports;

/// <summary>Records a scenario's phases as Allure steps (with their errors) and its progress lines as steps within them.</summary>
public sealed class AllureObserver(AllureResult allure) : IScenarioObserver
{
    public void PhaseStarted(ScenarioPhase phase, string description) => allure.StartStep($"{phase}: {description}");

    public void PhaseEnded(ScenarioPhase phase, Exception? error) => allure.StopStep(error);

    public void Step(string line) => allure.Step(line);
}
