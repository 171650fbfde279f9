using System.CommandLine;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil instruments list</c>: the registered chip drivers, their settings and their hardware maxima.</summary>
public static class InstrumentsListCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var json = CliServices.JsonOption();
        var list = new Command("list", "List the registered chip drivers (chip.driver ids), their chip.settings and hardware maxima") { json };
        list.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            // No config needed: the drivers are whatever CimHil.Drivers.*.dll files sit beside cimhil.
            var drivers = Describe(services.Registry);
            if (parse.GetValue(json))
            {
                services.WriteJson(drivers);
                return Task.FromResult(ExitCodes.Success);
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(services.Output),
                Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            });
            foreach (var d in drivers)
            {
                var table = new Table()
                    .Border(TableBorder.Rounded)
                    .Title($"[bold]{Markup.Escape(d.Id)}[/] — {Markup.Escape(d.Description)}")
                    .AddColumn("Setting")
                    .AddColumn("Type")
                    .AddColumn("Default")
                    .AddColumn("Description");
                foreach (var s in d.Settings)
                {
                    table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Type), Markup.Escape(s.Default ?? "(required)"), Markup.Escape(s.Description));
                }

                if (d.Settings.Count == 0)
                {
                    table.AddRow("(none)", string.Empty, string.Empty, string.Empty);
                }

                var m = d.Maxima;
                table.Caption($"maxima: SET {m.MaxSetVoltageV} V, RESET {m.MaxResetVoltageV} V, FORM {m.MaxFormVoltageV} V, read {m.MaxReadVoltageV} V, gate {m.MaxGateVoltageV} V, compliance {m.MaxComplianceA * 1e3} mA, width {m.MinPulseWidthSeconds:G3}–{m.MaxPulseWidthSeconds:G3} s");
                console.Write(table);
            }

            if (drivers.Count == 0)
            {
                services.Error.WriteLine($"no drivers found (CimHil.Drivers.*.dll) in {AppContext.BaseDirectory}");
            }

            return Task.FromResult(ExitCodes.Success);
        });

        return new Command("instruments", "Chip drivers and the instruments behind them") { list, InstrumentsProbeCommand.Create(services), InstrumentsResourcesCommand.Create(services), InstrumentsShellCommand.Create(services) };
    }

    /// <summary>Every registered driver with its settings and maxima, sorted by id.</summary>
    public static IReadOnlyList<DriverInfo> Describe(DriverRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.All
            .Select(r =>
            {
                var driver = r.Create();
                return new DriverInfo(r.Id, r.Description, r.Type.Assembly.GetName().Name ?? string.Empty, driver.Settings, driver.Maxima);
            })
            .ToList();
    }

    /// <summary>The JSON shape of <c>cimhil instruments list --json</c>.</summary>
    public sealed record DriverInfo(string Id, string Description, string Assembly, IReadOnlyList<DriverSetting> Settings, SafetyLimits Maxima);
}
