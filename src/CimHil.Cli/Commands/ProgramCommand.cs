using System.CommandLine;
using CimHil.Core.Chip;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil program</c>: one SET or RESET pulse at one cell, read before and after.</summary>
public static class ProgramCommand
{
    public static Command Create(CliServices services)
    {
        var cell = new Option<string>("--cell") { Description = "Cell ROW,COLUMN", Required = true };
        var polarity = new Option<PulsePolarity>("--polarity") { Description = "set or reset", Required = true };
        var amplitude = new Option<double>("--amplitude") { Description = "Pulse amplitude in volts (positive)", Required = true };
        var width = new Option<double?>("--width") { Description = PulseDefaults.WidthDescription(PulseDefaults.ProgramWidthSeconds) };
        var gate = new Option<double?>("--gate") { Description = "Gate voltage in volts (1T1R)" };
        var compliance = new Option<double?>("--compliance") { Description = "Current compliance in amperes (default: the configured maximum)" };
        var readVoltage = new Option<double>("--read-voltage") { Description = "Read voltage for the before/after reads, volts", DefaultValueFactory = _ => ReadCommand.DefaultReadVoltageV };
        var json = CliServices.JsonOption();
        var command = new Command("program", "Apply one programming pulse to one cell, checked against the safety limits, and read the cell before and after")
        {
            cell, polarity, amplitude, width, gate, compliance, readVoltage, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var address = CliParsing.Cell(parse.GetValue(cell)!, "--cell");
            await using var chip = await services.ConnectAsync(parse, ct);
            var pulse = new ProgramPulse
            {
                Polarity = parse.GetValue(polarity),
                AmplitudeV = parse.GetValue(amplitude),
                WidthSeconds = parse.GetValue(width) ?? PulseDefaults.Width(chip.Limits, PulseDefaults.ProgramWidthSeconds),
                GateVoltageV = parse.GetValue(gate),
                ComplianceA = parse.GetValue(compliance),
            };

            // Check before touching the chip so a refused pulse costs not even a read.
            var applied = chip.Limits.Check(pulse);
            var v = parse.GetValue(readVoltage);
            UnformedCells.Warn(chip, new CellBlock(address.Row, address.Column, 1, 1), pulse.Polarity == PulsePolarity.Set ? "SET" : "RESET", services.Logger(parse));
            var before = await chip.ReadCellAsync(address, v, ct);
            var result = await chip.ApplyPulseAsync(address, applied, ct);
            var after = await chip.ReadCellAsync(address, v, ct);
            if (parse.GetValue(json))
            {
                services.WriteJson(new { cell = address, pulse = result.Pulse, timestamp = result.Timestamp, beforeS = before.ConductanceS, afterS = after.ConductanceS });
                return ExitCodes.Success;
            }

            services.Output.WriteLine($"{result.Pulse} at cell {address}: {CliParsing.Microsiemens(before.ConductanceS)} µS → {CliParsing.Microsiemens(after.ConductanceS)} µS");
            return ExitCodes.Success;
        });
        return command;
    }
}
