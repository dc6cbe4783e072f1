using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Errors;
using ChaosEdge.Reports;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge trends</c>: every judged metric over past nightly runs, with regressions flagged.</summary>
internal static class TrendsCommand
{
    public static Command Create()
    {
        var history = new Option<string>("--history") { Description = "A directory holding past nightly runs' output directories (each with its nightly.json).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "The trend page to write.", DefaultValueFactory = _ => "trends.html" };
        var command = new Command("trends", "Read past nightly runs and write a trend page: each metric over the runs with its threshold, regressions (a failed verdict, or the latest 1-3 nights worse than the nights before them: one-sided Mann-Whitney p < 0.05/3 per look and a shift of at least 100 ms or 0.1 pp) flagged. Exit 1 when the latest run regressed.")
            { history, output };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var directory = parse.GetValue(history)!;
            if (!Directory.Exists(directory))
            {
                throw new ChaosEdgeException($"--history '{directory}' is not a directory.");
            }

            var series = TrendReport.Read(directory);
            if (series.Count == 0)
            {
                throw new ChaosEdgeException($"No nightly run (nightly.json with its run records) under '{directory}'.");
            }

            var path = parse.GetValue(output)!;
            await File.WriteAllTextAsync(path, TrendReport.Render(series), token);
            var regressions = series.Where(s => s.Regression is not null).ToList();
            Console.WriteLine($"{series.Count} metrics over {series.Max(s => s.Points.Count)} runs; {regressions.Count} regression(s).");
            foreach (var r in regressions)
            {
                Console.WriteLine($"  REGRESSION {r.Scenario} {r.Probe} {r.Metric}: {r.Regression}");
            }

            Console.WriteLine($"Trend page: {Path.GetFullPath(path)}");
            return regressions.Count == 0 ? Output.Success : Output.Failed;
        }));
        return command;
    }
}
