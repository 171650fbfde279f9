using System.CommandLine;
using System.Diagnostics;
using CimHil.Core.Config;
using CimHil.Instruments;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil instruments probe &lt;resource&gt;</c>: open, <c>*IDN?</c>, report latency — the first thing a bench user runs.</summary>
public static class InstrumentsProbeCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var resource = new Argument<string>("resource") { Description = "VISA resource string (TCPIP0::host::5025::SOCKET, ASRL/dev/ttyUSB0::INSTR, GPIB0::22::INSTR, …) or an alias from hil-config.json" };
        var count = new Option<int>("--count", "-n") { Description = "How many *IDN? round trips to time", DefaultValueFactory = _ => 10 }.Within(1, CliLimits.MaxProbeCount);
        var visa = VisaOption();
        var baud = BaudOption();
        var errorQuery = new Option<string?>("--error-query")
        {
            Description = "The instrument's error-queue query, answered as code,\"message\"; default: from the *IDN? reply (SCPI SYST:ERR?, TSP print(errorqueue.next()), B1500 FLEX ERRX?)",
        };
        var json = CliServices.JsonOption();
        var probe = new Command("probe", "Open an instrument, ask *IDN? and report the round-trip latency") { resource, count, visa, baud, errorQuery, json };
        probe.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var n = parse.GetValue(count);
            if (n < 1)
            {
                throw new CliUsageException($"--count must be at least 1, not {n}");
            }

            // The config is optional here: probing must work on a bench PC before hil-config.json exists.
            var config = TryConfig(services, parse);
            var logger = config is null ? Serilog.Core.Logger.None : services.Logger(parse);
            var text = parse.GetValue(resource)!;
            var resolved = config?.Instruments.Resolve(text) ?? text;
            VisaResource parsed;
            try
            {
                parsed = VisaResource.Parse(resolved);
            }
            catch (ResourceFormatException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var options = Options(config, parsed, parse.GetValue(visa), parse.GetValue(baud));
            var start = Stopwatch.GetTimestamp();
            var query = parse.GetValue(errorQuery);
            if (query is not null && (string.IsNullOrWhiteSpace(query) || !(query.TrimEnd().EndsWith('?') || query.Contains("errorqueue", StringComparison.OrdinalIgnoreCase))))
            {
                throw new CliUsageException($"--error-query '{query}' is not a query (it must end in '?', or read TSP's errorqueue)");
            }

            var sessionOptions = new ScpiSessionOptions { ErrorQuery = query is not null && query.TrimEnd().EndsWith('?') ? query.Trim() : ScpiSessionOptions.Default.ErrorQuery, Terminator = options.Terminator };
            await using var session = await ScpiSession.OpenAsync(parsed.Canonical, options, logger, ct, sessionOptions: sessionOptions);
            var connectMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            start = Stopwatch.GetTimestamp();
            var identity = await session.IdentifyAsync(ct);
            var firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            var samples = new double[n];
            for (var i = 0; i < n; i++)
            {
                start = Stopwatch.GetTimestamp();
                await session.QueryAsync("*IDN?", ct);
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(samples);
            var errorQueue = InstrumentErrorQueue.For(identity, query);
            var errors = await errorQueue.DrainAsync(session, ct);
            var result = new ProbeResult(
                text,
                parsed.Canonical,
                session.Transport.GetType().Name,
                identity,
                connectMs,
                firstMs,
                samples[0],
                samples[n / 2],
                samples[^1],
                n,
                errors.Select(e => e.ToString()).ToArray(),
                errorQueue.Family,
                errorQueue.NextQuery);

            if (parse.GetValue(json))
            {
                services.WriteJson(result);
                return ExitCodes.Success;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(services.Output),
                Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            });
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Property").AddColumn("Value");
            table.AddRow("Resource", Markup.Escape(result.Resource));
            table.AddRow("Transport", result.Transport);
            table.AddRow("Manufacturer", Markup.Escape(identity.Manufacturer));
            table.AddRow("Model", Markup.Escape(identity.Model));
            table.AddRow("Serial", Markup.Escape(identity.SerialNumber));
            table.AddRow("Firmware", Markup.Escape(identity.Firmware));
            table.AddRow("Connect", $"{connectMs:F2} ms");
            table.AddRow("First *IDN?", $"{firstMs:F3} ms");
            table.AddRow($"*IDN? × {n}", $"min {result.MinMs:F3} ms, median {result.MedianMs:F3} ms, max {result.MaxMs:F3} ms");
            table.AddRow("Error queue", Markup.Escape($"{(errors.Count == 0 ? "empty" : string.Join("; ", result.Errors))} (read with {errorQueue.NextQuery}, {errorQueue.Family})"));
            console.Write(table);
            return ExitCodes.Success;
        });
        return probe;
    }

    /// <summary>--visa: unset means hil-config.json transport.visa (auto when there is no file).</summary>
    internal static Option<VisaPreference?> VisaOption() =>
        new("--visa") { Description = "Vendor VISA library: Auto (only for what the built-in transports cannot reach, or LAN/USB INSTR when installed), Always, Never; default: hil-config.json transport.visa" };

    /// <summary>--baud: overrides transport.serial.baudRate for ASRL resources.</summary>
    internal static Option<int?> BaudOption() =>
        new("--baud") { Description = "Serial baud rate (ASRL resources); default: hil-config.json transport.serial.baudRate, else 9600" };

    /// <summary>The transport options for <paramref name="resource"/>: hil-config.json's transport section, then the command line.</summary>
    internal static TransportOptions Options(HilConfig? config, VisaResource resource, VisaPreference? visa, int? baud)
    {
        var options = TransportOptions.FromConfig(config?.Transport ?? TransportConfig.Default, resource);
        if (baud is { } b)
        {
            var serial = options.Serial with { BaudRate = b };
            try
            {
                serial.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException($"--baud {b}: {ex.Message.Split(" (Parameter", 2)[0]}");
            }

            options = options with { Serial = serial };
        }

        return visa is null ? options : options with { Visa = visa };
    }

    internal static HilConfig? TryConfig(CliServices services, ParseResult parse)
    {
        var explicitPath = parse.GetValue(services.ConfigOption);
        var path = HilConfigLoader.ResolvePath(explicitPath);
        return string.IsNullOrEmpty(explicitPath) && !File.Exists(path) ? null : services.Config(parse);
    }

    /// <summary>The JSON shape of <c>cimhil instruments probe --json</c>; latencies in milliseconds.</summary>
    public sealed record ProbeResult(
        string Requested,
        string Resource,
        string Transport,
        InstrumentIdentity Identity,
        double ConnectMs,
        double FirstQueryMs,
        double MinMs,
        double MedianMs,
        double MaxMs,
        int Samples,
        string[] Errors,
        string ErrorQueueFamily,
        string ErrorQuery);
}
