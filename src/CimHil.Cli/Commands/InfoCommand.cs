using System.CommandLine;
using CimHil.Core.Chip;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil info</c>: connect per config, print identity, geometry, capabilities and limits.</summary>
public static class InfoCommand
{
    public static Command Create(CliServices services)
    {
        var json = CliServices.JsonOption();
        var command = new Command("info", "Connect to the configured chip and print its identity, geometry and safety limits") { json };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.Config(parse);
            await using var chip = await services.ConnectAsync(parse, ct);
            var info = new ChipInfo(config.Chip.Driver, chip.Identity, chip.Geometry.Rows, chip.Geometry.Columns, chip.Capabilities, chip.Clock.IsVirtual, chip.Limits);
            if (parse.GetValue(json))
            {
                services.WriteJson(info);
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("Property").AddColumn("Value");
            table.AddRow("Driver", Markup.Escape(info.Driver));
            table.AddRow("Identity", Markup.Escape(chip.Identity.ToString()));
            table.AddRow("Technology", chip.Identity.Technology.ToString());
            table.AddRow("Geometry", $"{info.Rows} rows × {info.Columns} columns");
            table.AddRow("Capabilities", chip.Capabilities.ToString());
            table.AddRow("Clock", info.VirtualClock ? "virtual" : "wall clock");
            var l = chip.Limits;
            table.AddRow("Safety limits", $"SET ≤ {l.MaxSetVoltageV} V, RESET ≤ {l.MaxResetVoltageV} V, FORM ≤ {l.MaxFormVoltageV} V, read ≤ {l.MaxReadVoltageV} V, gate ≤ {l.MaxGateVoltageV} V, compliance ≤ {l.MaxComplianceA * 1e6} µA, width {l.MinPulseWidthSeconds:G3}–{l.MaxPulseWidthSeconds:G3} s");
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The JSON shape of <c>cimhil info --json</c>.</summary>
    public sealed record ChipInfo(string Driver, ChipIdentity Identity, int Rows, int Columns, ChipCapabilities Capabilities, bool VirtualClock, Core.Safety.SafetyLimits Limits);
}
