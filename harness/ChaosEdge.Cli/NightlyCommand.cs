using System.CommandLine;
using System.Globalization;
using ChaosEdge.Cli.Terminal;
using ChaosEdge.Campaigns;
using ChaosEdge.Processes;
using ChaosEdge.Reports;
using ChaosEdge.Runs;
using ChaosEdge.Scenarios;
using ChaosEdge.Scenarios.Catalog;
using ChaosEdge.Secrets;
using Spectre.Console;

namespace ChaosEdge.Cli;

/// <summary>
/// <c>chaosedge nightly</c>: the main job — the lab (the built-in virtual lab when no inventory is given, brought up,
/// provisioned and taken down), every selected scenario, the verdicts, and the reports in <c>--out</c>.
/// </summary>
internal static class NightlyCommand
{
    public static Command Create()
    {
        var inventory = new Option<string?>("--inventory", "-i") { Description = "A provisioned lab's inventory; without one the built-in virtual lab is used (as root)." };
        var sla = new Option<string?>("--sla") { Description = "The SLA file (default: the inventory's 'sla:', else the shipped sla/lab-sla.yaml)." };
        var campaign = new Option<string?>("--campaign") { Description = "A campaign file (YAML: scenarios, targets, application probes, trials, SLA blocks); default: the shipped default campaign. Checked whole before anything runs." };
        var trials = new Option<int?>("--trials") { Description = "Run every selected scenario this many times (1-100), with a recovery gate between trials, and judge each metric on the distribution (95 % confidence bound)." };
        var filter = new Option<string?>("--filter") { Description = $"Suites and scenarios of the campaign to run, comma-separated: {string.Join(", ", ScenarioCatalog.Suites)} (the default campaign's), or scenario names (default: all)." };
        var output = new Option<string>("--out", "-o") { Description = "Where the run record, reports and logs go.", DefaultValueFactory = _ => "chaosedge-nightly" };
        var customer = new Option<string>("--customer") { Description = "The customer named on the acceptance report.", DefaultValueFactory = _ => "—" };
        var noProvision = new Option<bool>("--no-provision") { Description = "With --inventory: use the lab as it is after verifying its health, instead of provisioning it (idempotently) first." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "With --no-provision: the kubeconfig to reach the lab's API with (default: 'kubeconfig' beside the inventory)." };
        var context = new Option<string?>("--context") { Description = "With --no-provision: the kubeconfig context to use (default: its current context)." };
        var command = new Command("nightly", "Run the scenario suites against a lab and write the run record, the acceptance report (HTML, and PDF when Chromium is installed) and JUnit XML. Exit 0: every SLA passed; 1: an SLA did not; 2: the run could not be completed.")
            { inventory, sla, campaign, trials, filter, output, customer, noProvision, kubeconfig, context };
        var reserve = new ReservationCommandOptions();
        reserve.AddTo(command);
        command.SetAction((parse, token) => Output.GuardAsync(async () =>
        {
            if (parse.GetValue(trials) is { } n && n is < 1 or > 100)
            {
                throw new Errors.ChaosEdgeException($"--trials {n}: give 1 to 100 trials.");
            }

            // The whole campaign file is checked (every problem, located) before anything is touched.
            var chosen = parse.GetValue(campaign) is { } campaignPath ? CampaignLoader.Load(campaignPath) : null;
            var options = new NightlyOptions
            {
                Campaign = chosen, Trials = parse.GetValue(trials),
                InventoryPath = parse.GetValue(inventory), SlaPath = parse.GetValue(sla), Filter = parse.GetValue(filter),
                OutputDirectory = parse.GetValue(output)!, Customer = parse.GetValue(customer)!, NoProvision = parse.GetValue(noProvision),
                KubeconfigPath = parse.GetValue(kubeconfig), Context = parse.GetValue(context),
            };
            if ((options.KubeconfigPath is not null || options.Context is not null) && !options.NoProvision)
            {
                throw new Errors.ChaosEdgeException("--kubeconfig and --context choose how to reach a lab used as it is: give them with --inventory and --no-provision (provisioning writes its own kubeconfig).");
            }

            if (options.KubeconfigPath is { } path && !File.Exists(path))
            {
                throw new Errors.ChaosEdgeException($"--kubeconfig: the file '{path}' does not exist.");
            }

            if (options.NoProvision && options.InventoryPath is null)
            {
                throw new Errors.ChaosEdgeException("--no-provision needs --inventory: the built-in virtual lab is always provisioned for the run.");
            }

            if (options.NoProvision && options.InventoryPath is { } lab)
            {
                // The kubeconfig and its context are checked before anything is installed or run.
                _ = Kubernetes.KubeConfig.Load(options.KubeconfigPath ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(lab))!, "kubeconfig"), options.Context);
            }

            var selected = (options.Trials is { } t ? (options.Campaign ?? Campaign.Default).WithTrials(t) : options.Campaign ?? Campaign.Default).Select(options.Filter);
            if (options.InventoryPath is null && !Environment.IsPrivilegedProcess)
            {
                throw new Errors.PrerequisiteMissingException("The built-in virtual lab needs root (sudo chaosedge nightly), or give --inventory for a provisioned lab.");
            }

            var reservedLab = options.InventoryPath is { } labPath ? Inventory.InventoryLoader.Load(labPath) : null;
            var reservation = reserve.Read(parse, reservedLab, $"chaosedge nightly --inventory {options.InventoryPath} --out {Path.GetFullPath(options.OutputDirectory)}");
            return await ReservationCommandOptions.RunAsync(reservation, reservedLab, Output.Progress(), recoverFirst: true, async stopping =>
            {
                Directory.CreateDirectory(options.OutputDirectory);
                await using var log = new StreamWriter(Path.Combine(options.OutputDirectory, "nightly.log"), append: false) { AutoFlush = true };
                var logOnly = new Tee(null, line =>
                {
                    lock (log)
                    {
                        log.WriteLine($"{TimeProvider.System.GetUtcNow():O} {SecretRedactor.Redact(line)}");
                    }
                });
                await EnsureChromiumAsync(logOnly);
                var expected = TimeSpan.FromSeconds(30 + selected.Sum(s => s.Definition.Trials * (s.Definition.Baseline + s.Definition.MaximumHold + s.Definition.AfterRestore + TimeSpan.FromSeconds(15)).TotalSeconds));
                var plan = $"{selected.Count} scenario(s): {string.Join(", ", selected.Select(s => s.Definition.Trials == 1 ? s.Name : $"{s.Name} ×{s.Definition.Trials}"))}; expected about {expected.TotalMinutes:0} min";
                NightlyOutcome outcome;
                if (!Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
                {
                    // A terminal: a live view of scenario, phase, probes and times; the full log goes to nightly.log.
                    var view = new NightlyView(expected);
                    var progress = new Tee(view, logOnly.Report);
                    progress.Report(plan);
                    outcome = await AnsiConsole.Live(view.Render()).AutoClear(false).StartAsync(async live =>
                    {
                        var run = new NightlyRun(options, new FanOutObserver(view, new ProgressObserver(logOnly)), progress).RunAsync(stopping);
                        while (!run.IsCompleted)
                        {
                            live.UpdateTarget(view.Render());
                            await Task.WhenAny(run, Task.Delay(250, CancellationToken.None));
                        }

                        live.UpdateTarget(view.Render());
                        return await run;
                    });
                }
                else
                {
                    // Not a terminal (CI, a pipe): a plain, timestamped log.
                    var progress = new Tee(Output.Progress(), logOnly.Report);
                    progress.Report(plan);
                    outcome = await new NightlyRun(options, new ProgressObserver(progress), progress).RunAsync(stopping);
                }

                Console.WriteLine();
                Console.WriteLine($"{"scenario",-26} {"status",-13} {"time",7}  reason");
                foreach (var scenario in outcome.Scenarios)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scenario.Name,-26} {AcceptanceReport.StatusText(scenario.Status).ToUpperInvariant(),-13} {scenario.Seconds ?? 0,6:0.0}s  {scenario.Reason}"));
                }

                var report = Path.Combine(options.OutputDirectory, "report.html");
                if (!stopping.IsCancellationRequested)
                {
                    await PrintPdfAsync(report, Path.Combine(options.OutputDirectory, "report.pdf"), new Tee(Output.Progress(), logOnly.Report), stopping);
                }
                Console.WriteLine();
                Console.WriteLine($"Report: {Path.GetFullPath(report)}");
                Console.WriteLine($"Run record: {outcome.SummaryPath}");
                Console.WriteLine(SecretRedactor.Redact(outcome.Reason));
                return outcome.ExitCode;
            }, token);
        }));
        return command;
    }

    /// <summary>
    /// Installs Debian's Chromium, which prints the report to PDF, when it is missing and this is root on Debian —
    /// as the lab's own packages are installed on first use. Elsewhere the run goes on and says there is no PDF.
    /// </summary>
    private static async Task EnsureChromiumAsync(IProgress<string> log)
    {
        if (FindChromium() is not null || !Environment.IsPrivilegedProcess || !File.Exists("/etc/debian_version"))
        {
            return;
        }

        var progress = new Tee(Output.Progress(), log.Report);
        progress.Report("Installing Debian's chromium (it prints the acceptance report to PDF)");
        try
        {
            await Provision.VirtualLab.HostPrerequisites.InstallAsync(["chromium"]);
        }
        catch (Errors.ChaosEdgeException e)
        {
            progress.Report("Chromium could not be installed; the report will have no PDF: " + e.Message);
        }
    }

    private static string? FindChromium() => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    /// <summary>Prints the report to PDF with headless Chromium, when it is installed.</summary>
    private static async Task PrintPdfAsync(string html, string pdf, IProgress<string> progress, CancellationToken token)
    {
        var chromium = FindChromium();
        if (chromium is null)
        {
            progress.Report("No PDF: Chromium is not installed (apt-get install chromium); the HTML report prints as it is.");
            return;
        }

        var result = await ProcessRunner.RunAsync(chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", $"--print-to-pdf={Path.GetFullPath(pdf)}", new Uri(Path.GetFullPath(html)).AbsoluteUri],
            timeout: TimeSpan.FromMinutes(2), cancellationToken: token);
        progress.Report(result.ExitCode == 0 && File.Exists(pdf) ? $"PDF: {Path.GetFullPath(pdf)}" : $"No PDF: Chromium exited {result.ExitCode}: {result.Stderr.Trim()}");
    }

    private sealed class Tee(IProgress<string>? first, Action<string> second) : IProgress<string>
    {
        public void Report(string value)
        {
            first?.Report(value);
            second(value);
        }
    }
}
