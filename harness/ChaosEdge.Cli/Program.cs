using System.CommandLine;
using ChaosEdge.Cli;

var root = new RootCommand("ChaosEdge: builds small bare-metal HA Kubernetes clusters, breaks them on purpose, and measures to the millisecond how long each service was gone.")
{
    LabCommands.Create(),
    InventoryCommands.Create(),
    ExecCommand.Create(),
    ProvisionCommand.Create(),
    MeasureCommand.Create(),
    NightlyCommand.Create(),
    TrendsCommand.Create(),
};
foreach (var command in FaultCommands.Create())
{
    root.Subcommands.Add(command);
}


// Ctrl+C and SIGTERM (a pod being stopped) cancel the running command, which then restores the fault in flight and
// verifies it (bounded by the fault session itself: 15 min), takes a virtual lab down and writes what it measured.
// System.CommandLine's default gives a command 2 s before it returns 143 and the process exits mid-restore; here it
// waits for the command.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = Timeout.InfiniteTimeSpan });
