using System.CommandLine;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Errors;
using ChaosEdge.Reports;

namespace ChaosEdge.Cli;

/// <summary><c>chaosedge trends</c>: every judged metric over past nightly runs, with regressions flagged; one page per lab and an index over several labs.</summary>
internal static class TrendsCommand
{
    public static Command Create()
    {
        var history = new Option<string>("--history") { Description = "A directory holding past nightly runs' output directories (each with its nightly.json), of one lab or of many (e.g. DIR/LAB/NIGHT/nightly.json).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "The trend page to write; with several labs, the index page, each lab's page beside it as trends-LAB.html.", DefaultValueFactory = _ => "trends.html" };
        var command = new Command("trends", "Read past nightly runs and write a trend page: each metric over the runs with its threshold, regressions (a failed verdict, or the latest 1-3 nights worse than the nights before them: one-sided Mann-Whitney p < 0.05/3 per look and a shift of at least 100 ms or 0.1 pp) flagged. Runs of several labs (a lab is its nightly.json's lab.cluster, else the directory under --history holding it) give a page per lab, never mixing their metrics, and an index at --out: each lab's latest run, outcome, scenario counts, regressions and latest nights, labs with regressions first. Exit 1 when the latest run of a lab regressed.")
            { history, output };
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            var directory = parse.GetValue(history)!;
            if (!Directory.Exists(directory))
            {
                throw new ChaosEdgeException($"--history '{directory}' is not a directory.");
            }

            var written = await TrendPages.WriteAsync(directory, parse.GetValue(output)!, token);
            foreach (var line in written.Lines)
            {
                Console.WriteLine(line);
            }

            return written.Regressed ? Output.Failed : Output.Success;
        }));
        return command;
    }
}
