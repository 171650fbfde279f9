using System.CommandLine;
using CimHil.Core.Chip;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil form</c>: one forming pulse at one cell, checked against the safety limits like every pulse, read before and after.</summary>
public static class FormCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var cell = new Option<string>("--cell") { Description = "Cell ROW,COLUMN", Required = true };
        var amplitude = new Option<double?>("--amplitude") { Description = $"Forming amplitude in volts (default {PulseDefaults.FormingAmplitudeV} V, at most chip.safety.maxFormVoltageV)" };
        var width = new Option<double?>("--width") { Description = PulseDefaults.WidthDescription(PulseDefaults.FormingWidthSeconds) };
        var gate = new Option<double?>("--gate") { Description = "Gate voltage in volts (1T1R)" };
        var compliance = new Option<double?>("--compliance") { Description = $"Current compliance in amperes (default {PulseDefaults.FormingComplianceA:G3} A, at most chip.safety.maxComplianceA)" };
        var readVoltage = new Option<double>("--read-voltage") { Description = "Read voltage for the before/after reads, volts", DefaultValueFactory = _ => ReadCommand.DefaultReadVoltageV };
        var json = CliServices.JsonOption();
        var command = new Command("form", "Apply one forming pulse to one cell, checked against the safety limits, and read the cell before and after")
        {
            cell, amplitude, width, gate, compliance, readVoltage, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var address = CliParsing.Cell(parse.GetValue(cell)!, "--cell");
            await using var chip = await services.ConnectAsync(parse, ct);
            var limits = chip.Limits;
            var pulse = new FormingPulse
            {
                AmplitudeV = parse.GetValue(amplitude) ?? Math.Min(PulseDefaults.FormingAmplitudeV, limits.MaxFormVoltageV),
                WidthSeconds = parse.GetValue(width) ?? PulseDefaults.Width(limits, PulseDefaults.FormingWidthSeconds),
                ComplianceA = parse.GetValue(compliance) ?? Math.Min(PulseDefaults.FormingComplianceA, limits.MaxComplianceA),
                GateVoltageV = parse.GetValue(gate),
            };

            // Checked before the first read, so a refused pulse costs nothing (SafeChip checks again when it is applied).
            limits.Check(pulse);
            if (!chip.Supports(ChipCapabilities.RequiresForming))
            {
                services.Logger(parse).Warning("{Technology} cells need no forming; the pulse is applied as asked", chip.Identity.Technology.ToString().ToUpperInvariant());
            }

            var v = parse.GetValue(readVoltage);
            var before = await chip.ReadCellAsync(address, v, ct);
            var result = await chip.FormAsync(address, pulse, ct);
            var after = await chip.ReadCellAsync(address, v, ct);
            if (parse.GetValue(json))
            {
                services.WriteJson(new { cell = address, pulse = result.Pulse, formed = result.Formed, currentA = result.CurrentA, timestamp = result.Timestamp, beforeS = before.ConductanceS, afterS = after.ConductanceS });
                return result.Formed ? ExitCodes.Success : ExitCodes.ChipError;
            }

            var text = $"Forming {pulse.AmplitudeV:G4} V × {pulse.WidthSeconds:G3} s, compliance {pulse.ComplianceA:G3} A at cell {address}: " +
                $"{(result.Formed ? "formed" : "NOT formed")} ({result.CurrentA * 1e6:F1} µA); {CliParsing.Microsiemens(before.ConductanceS)} µS → {CliParsing.Microsiemens(after.ConductanceS)} µS";
            services.Output.WriteLine(text);
            return result.Formed ? ExitCodes.Success : ExitCodes.ChipError;
        });
        return command;
    }
}
