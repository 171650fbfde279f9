using System.CommandLine;
using CimHil.Emulator;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil emulator reset</c>: forget the in-process emulator's saved state; the next command sees the pristine array.</summary>
public static class EmulatorResetCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var command = new Command("reset", $"Delete the in-process emulator's state file (emulator.{EmulatorStateFile.Key}): the next command starts on the pristine, freshly fabricated array");
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            var config = services.Config(parse);
            if (EmulatorStateFile.PathFor(config) is not { } path)
            {
                services.Output.WriteLine($"No emulator.{EmulatorStateFile.Key} in {config.SourcePath}: every command already starts on the pristine array.");
                return Task.FromResult(ExitCodes.Success);
            }

            // File.Delete ignores a missing file but not a missing folder (a fresh clone has no runs/ yet).
            var existed = File.Exists(path);
            if (existed)
            {
                File.Delete(path);
            }

            services.Output.WriteLine(existed ? $"Deleted {path}: the next command starts on the pristine array." : $"{path} does not exist: the array is already pristine.");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
