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


return await root.Parse(args).InvokeAsync();
