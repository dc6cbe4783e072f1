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


// Ctrl+C, SIGINT and SIGTERM (a pod being stopped) cancel the command's token; the command then restores the fault in
// flight, takes a virtual lab down and writes what it measured. System.CommandLine's default would end the process
// 2 s after the signal, in the middle of that: it is given the time a restore and a lab's teardown take.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
