using System.Diagnostics;
using ChaosEdge.Scenarios;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ChaosEdge.Cli.Terminal;

/// <summary>
/// The nightly job's live terminal view: the scenario running (n of N) and its phase, the latest step, each probe's
/// state, elapsed and expected time, and the verdicts so far. Fed by the run's progress and observer; drawn with
/// Spectre.Console's live display when the output is a terminal.
/// </summary>
internal sealed class NightlyView(TimeSpan expected) : IScenarioObserver, IProgress<string>
{
    private readonly Lock gate = new();
    private readonly Stopwatch elapsed = Stopwatch.StartNew();
    private readonly List<string> finished = [];
    private string scenario = "preparing the lab";
    private string phase = string.Empty;
    private string step = string.Empty;
    private IReadOnlyList<LiveProbe> probes = [];

    public void Report(string value)
    {
        lock (gate)
        {
            if (value.StartsWith('[') && value.Contains("] ", StringComparison.Ordinal))
            {
                // "[3/12] Failover · name: title" starts a scenario; "[3/12] name: STATUS reason" ends it.
                if (value.Contains(" · ", StringComparison.Ordinal))
                {
                    scenario = value;
                    probes = [];
                }
                else
                {
                    finished.Add(value);
                }
            }
            else
            {
                step = value.Trim();
            }
        }
    }

    public void PhaseStarted(ScenarioPhase phase, string description)
    {
        lock (gate)
        {
            this.phase = $"{phase}: {description}";
        }
    }

    public void PhaseEnded(ScenarioPhase phase, Exception? error)
    {
        if (error is not null)
        {
            Step($"{phase} failed: {error.Message}");
        }
    }

    public void Step(string line)
    {
        lock (gate)
        {
            step = line.Trim();
        }
    }

    public void ProbesNow(IReadOnlyList<LiveProbe> probes)
    {
        lock (gate)
        {
            this.probes = probes;
        }
    }

    public IRenderable Render()
    {
        lock (gate)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumns("probe", "state", "samples", "down for");
            foreach (var p in probes)
            {
                table.AddRow(
                    Markup.Escape(p.Probe),
                    p.Up switch { true => "[green]up[/]", false => "[bold red]DOWN[/]", null => "[grey]-[/]" },
                    p.Samples.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    p.DownFor > TimeSpan.Zero ? $"{p.DownFor.TotalSeconds:0.0} s" : string.Empty);
            }

            var rows = new List<IRenderable>
            {
                new Markup($"[bold]ChaosEdge nightly[/]  elapsed {elapsed.Elapsed:mm\\:ss}, expected about {expected.TotalMinutes:0} min"),
                new Markup($"[bold]{Markup.Escape(scenario)}[/]"),
                new Markup(Markup.Escape(phase)),
                new Markup($"[grey]{Markup.Escape(step.Length > 160 ? step[..160] + "…" : step)}[/]"),
            };
            if (probes.Count > 0)
            {
                rows.Add(table);
            }

            rows.AddRange(finished.TakeLast(14).Select(f => new Markup(Markup.Escape(f).Replace(": PASS", ": [green]PASS[/]", StringComparison.Ordinal).Replace(": FAIL", ": [red]FAIL[/]", StringComparison.Ordinal).Replace(": ERROR", ": [red]ERROR[/]", StringComparison.Ordinal).Replace(": INCONCLUSIVE", ": [yellow]INCONCLUSIVE[/]", StringComparison.Ordinal))));
            return new Rows(rows);
        }
    }
}
