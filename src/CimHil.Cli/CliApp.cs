using System.CommandLine;
using CimHil.Cli.Commands;

namespace CimHil.Cli;

/// <summary>The cimhil command tree; tests run it in-process.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot(CliServices services)
    {
        var root = new RootCommand("CimHil: hardware-in-the-loop characterisation, calibration and worst-case evaluation of analog compute-in-memory arrays.");
        root.Options.Add(services.ConfigOption);
        root.Options.Add(services.VerboseOption);
        root.Options.Add(services.QuietOption);
        root.Options.Add(services.LogLevelOption);

        // commands
        root.Subcommands.Add(InfoCommand.Create(services));
        root.Subcommands.Add(ReadCommand.Create(services));
        root.Subcommands.Add(ProgramCommand.Create(services));
        root.Subcommands.Add(FormCommand.Create(services));
        root.Subcommands.Add(DemoCommand.Create(services));
        root.Subcommands.Add(RunCommand.Create(services));
        root.Subcommands.Add(InstrumentsListCommand.Create(services));
        root.Subcommands.Add(EmulatorServeCommand.Create(services));
        root.Subcommands.Add(CharacterizeCommand.Create(services));
        root.Subcommands.Add(CalibrateCommand.Create(services));
        root.Subcommands.Add(WorstCaseCommand.Create(services));
        root.Subcommands.Add(EvaluateCommand.Create(services));
        root.Subcommands.Add(GpuCommand.Create(services));
        root.Subcommands.Add(TrainCommand.Create(services));
        root.Subcommands.Add(StudyCommand.Create(services));
        root.Subcommands.Add(ImportCommand.Create(services));
        root.Subcommands.Add(ExportCommand.Create(services));
        root.Subcommands.Add(SlurmCommand.Create(services));
        root.Subcommands.Add(ServeCommand.Create(services));
        return root;
    }

    /// <summary>Runs one command line; <paramref name="cancellationToken"/> acts like Ctrl+C (tests stop a server with it).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        using var services = new CliServices(output, error);
        return await CommandRunner.InvokeAsync(BuildRoot(services), args, services, cancellationToken);
    }
}
