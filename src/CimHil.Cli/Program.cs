using System.CommandLine;
using CimHil.Cli;
using CimHil.Cli.Commands;

using var services = new CliServices(Console.Out, Console.Error);
var root = new RootCommand("CimHil: hardware-in-the-loop characterisation, calibration and worst-case evaluation of analog compute-in-memory arrays.");
root.Options.Add(services.ConfigOption);
root.Options.Add(services.VerboseOption);

// commands
root.Subcommands.Add(InfoCommand.Create(services));
root.Subcommands.Add(ReadCommand.Create(services));
root.Subcommands.Add(ProgramCommand.Create(services));
root.Subcommands.Add(RunCommand.Create(services));

return await CommandRunner.InvokeAsync(root, args, services);
