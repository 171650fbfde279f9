using System.CommandLine;
using CimHil.Core.Chip;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil demo</c>: a short bench demo on the configured chip: identity, forming where needed,
/// a few SET/RESET cycles with reads, one row read. The first thing to try on a new bench.
/// </summary>
public static class DemoCommand
{
    public static Command Create(CliServices services)
    {
        var cycles = new Option<int>("--cycles") { Description = "SET/RESET cycles per demo cell", DefaultValueFactory = _ => 3 };
        var width = new Option<double?>("--width") { Description = PulseDefaults.WidthDescription(PulseDefaults.ProgramWidthSeconds) + " of the SET/RESET pulses" };
        var json = CliServices.JsonOption();
        var command = new Command("demo", "A short bench demo: identity, forming, a few SET/RESET cycles with reads, one row read") { cycles, width, json };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var n = parse.GetValue(cycles);
            if (n is < 1 or > 1000)
            {
                throw new CliUsageException($"--cycles {n}: must be between 1 and 1000");
            }

            await using var chip = await services.ConnectAsync(parse, ct);
            var limits = chip.Limits;
            var readV = Math.Min(ReadCommand.DefaultReadVoltageV, limits.MaxReadVoltageV);
            var quiet = parse.GetValue(json);
            if (!quiet)
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(chip.Identity.ToString())}[/], {chip.Geometry.Rows}×{chip.Geometry.Columns}, {chip.Capabilities}");
            }

            var cells = Enumerable.Range(0, Math.Min(4, chip.Geometry.Columns)).Select(c => new CellAddress(0, c)).ToList();
            // Every default is brought within the bench's limits: a 1 µs forming pulse or a 100 ns SET is refused by a bench
            // whose shortest pulse is 1 ms; a gate voltage only where pulses have a gate (two-terminal benches refuse one).
            var pulseWidth = parse.GetValue(width) ?? PulseDefaults.Width(limits, PulseDefaults.ProgramWidthSeconds);
            var gated = chip.Supports(ChipCapabilities.GateVoltage);
            var forming = new FormingPulse
            {
                AmplitudeV = Math.Min(PulseDefaults.FormingAmplitudeV, limits.MaxFormVoltageV),
                WidthSeconds = PulseDefaults.Width(limits, PulseDefaults.FormingWidthSeconds),
                ComplianceA = Math.Min(PulseDefaults.FormingComplianceA, limits.MaxComplianceA),
            };
            if (chip.Supports(ChipCapabilities.RequiresForming))
            {
                foreach (var cell in cells)
                {
                    var formed = await chip.FormAsync(cell, forming, ct);
                    if (!quiet)
                    {
                        AnsiConsole.MarkupLine($"formed {cell}: {formed.CurrentA * 1e6:F1} µA, {(formed.Formed ? "formed" : "[red]not formed[/]")}");
                    }
                }
            }

            var set = new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = Math.Min(1.5, limits.MaxSetVoltageV), WidthSeconds = pulseWidth, GateVoltageV = gated ? Math.Min(1.6, limits.MaxGateVoltageV) : null };
            var reset = new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = Math.Min(1.8, limits.MaxResetVoltageV), WidthSeconds = pulseWidth, GateVoltageV = gated ? Math.Min(2.5, limits.MaxGateVoltageV) : null };
            var trace = new List<object>();
            var table = new Table().Border(TableBorder.Rounded).AddColumn("cell").AddColumn("cycle").AddColumn(new TableColumn("after SET (µS)").RightAligned()).AddColumn(new TableColumn("after RESET (µS)").RightAligned());
            foreach (var cell in cells)
            {
                for (var i = 0; i < n; i++)
                {
                    await chip.ApplyPulseAsync(cell, set, ct);
                    var on = await chip.ReadCellAsync(cell, readV, ct);
                    await chip.ApplyPulseAsync(cell, reset, ct);
                    var off = await chip.ReadCellAsync(cell, readV, ct);
                    table.AddRow(cell.ToString(), (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), CliParsing.Microsiemens(on.ConductanceS), CliParsing.Microsiemens(off.ConductanceS));
                    trace.Add(new { cell, cycle = i + 1, setS = on.ConductanceS, resetS = off.ConductanceS });
                }
            }

            // Leave the demo cells in a visible state: SET.
            foreach (var cell in cells)
            {
                await chip.ApplyPulseAsync(cell, set, ct);
            }

            var row = await chip.ReadBlockAsync(new CellBlock(0, 0, 1, Math.Min(8, chip.Geometry.Columns)), readV, ct);
            if (quiet)
            {
                services.WriteJson(new { identity = chip.Identity, rows = chip.Geometry.Rows, columns = chip.Geometry.Columns, cycles = trace, row0S = row.CurrentsA.Select(i => i / readV) });
                return ExitCodes.Success;
            }

            AnsiConsole.Write(table);
            ConductanceGrid.Write(services.Output, row, ConductanceGrid.WidthOf(services.Output));
            return ExitCodes.Success;
        });
        return command;
    }
}
