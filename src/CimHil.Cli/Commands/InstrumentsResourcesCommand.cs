using System.CommandLine;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Usbtmc;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil instruments resources</c>: what this machine can reach, like PyVISA's <c>list_resources()</c>.</summary>
public static class InstrumentsResourcesCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var visa = InstrumentsProbeCommand.VisaOption();
        var json = CliServices.JsonOption();
        var command = new Command("resources", "List reachable instruments: serial ports, usbtmc devices, the vendor VISA's list, LAN instruments in hil-config.json") { visa, json };
        command.SetAction((ParseResult parse, CancellationToken ct) =>
        {
            // The config is optional: listing must work on a bench PC before hil-config.json exists.
            var config = InstrumentsProbeCommand.TryConfig(services, parse);
            var preference = parse.GetValue(visa) ?? new TransportOptions { Config = config?.Transport ?? Core.Config.TransportConfig.Default }.EffectiveVisa;
            var notes = new List<string>();
            var found = ResourceDiscovery.List(config?.Instruments, preference != VisaPreference.Never, UsbtmcPaths.System, notes);
            if (parse.GetValue(json))
            {
                services.WriteJson(new ResourceList(found, notes));
                return Task.FromResult(ExitCodes.Success);
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(services.Output),
                Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            });
            if (Console.IsOutputRedirected)
            {
                // Resource strings are copied from this output: a redirected console's default 80 columns would wrap them.
                console.Profile.Width = 200;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("Resource").AddColumn("Found by").AddColumn("Description");
            foreach (var r in found)
            {
                table.AddRow(Markup.Escape(r.Resource), r.Source, Markup.Escape(r.Description));
            }

            console.Write(table);
            foreach (var note in notes)
            {
                services.Output.WriteLine($"note: {note}");
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>The JSON shape of <c>cimhil instruments resources --json</c>.</summary>
    public sealed record ResourceList(IReadOnlyList<DiscoveredResource> Resources, IReadOnlyList<string> Notes);
}
