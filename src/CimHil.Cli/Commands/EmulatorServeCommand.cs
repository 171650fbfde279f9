using System.CommandLine;
using System.Net;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Emulator;
using CimHil.Emulator.Instruments;
using CimHil.Emulator.Instruments.B1500;
using CimHil.Emulator.Wire;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil emulator serve</c>: the emulated chip as an instrument speaking the CimHil board protocol (docs/protocol.md)
/// over TCP and/or a pseudo-terminal serial line, with optional fault injection for resilience tests; or, with
/// <c>--bench smu-matrix</c>, the probe station of the smu-matrix driver (an emulated Keithley 2450 and 707B on two TCP
/// ports), or with <c>--bench b1500</c> the fast-pulse bench of the b1500 driver (an emulated B1500A, its B1530A WGFMU
/// behind the call-line protocol of docs/wgfmu-standin.md, and a 707B on three TCP ports), or with <c>--bench keithley-2600b</c>
/// the bench of the keithley-2600b driver (an emulated Keithley 2636B speaking TSP and a 707B on two TCP ports), or with
/// <c>--bench keithley-4200a</c> the bench of the keithley-4200a driver (an emulated 4200A-SCS speaking KXCI, NUL-terminated,
/// and a 707B on two TCP ports).
/// </summary>
public static class EmulatorServeCommand
{
    private const string BoardBenchName = "board";
    private const string SmuMatrixBenchName = "smu-matrix";
    private const string B1500BenchName = "b1500";
    private const string Keithley2600BBenchName = "keithley-2600b";
    private const string Keithley4200ABenchName = "keithley-4200a";

    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 5025 }.Within(0, 65535);
        var noTcp = new Option<bool>("--no-tcp") { Description = "Do not listen on TCP" };
        var serial = new Option<bool>("--serial") { Description = "Also serve on a pseudo-terminal serial line (its path is printed)" };
        var vxi11 = new Option<bool>("--vxi11") { Description = "Also serve VXI-11 (TCPIP::host::inst0::INSTR): a portmapper and the core channel" };
        var portmapperPort = new Option<int?>("--portmapper-port")
        {
            Description = "Portmapper port for --vxi11: VISA clients ask 111 (needs root, and no rpcbind on it); 0 picks a free one (default: the config's emulator.portmapperPort, else 111)",
        }.Within(0, 65535);
        var hislip = new Option<bool>("--hislip") { Description = "Also serve HiSLIP (TCPIP::host::hislip0::INSTR, IVI-6.1): both channels on one port" };
        var hislipPort = new Option<int?>("--hislip-port")
        {
            Description = "HiSLIP port for --hislip; 0 picks a free one (default: the config's emulator.hislipPort, else 4880)",
        }.Within(0, 65535);
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl+C)" }.Within(0, 31_536_000);
        var dropAfter = new Option<int?>("--drop-after") { Description = "Fault: drop the link on the N-th message (it is executed, its reply lost)" }.Within(0, int.MaxValue);
        var dropRepeat = new Option<bool>("--drop-repeat") { Description = "Fault: drop on every N-th message, not only once" };
        var delayMs = new Option<double>("--delay-ms") { Description = "Fault: delay every reply by this many milliseconds", DefaultValueFactory = _ => 0 }.Within(0, 3_600_000);
        var corrupt = new Option<int>("--corrupt") { Description = "Fault: corrupt the next N replies", DefaultValueFactory = _ => 0 }.Within(0, int.MaxValue);
        var stallAfter = new Option<int?>("--stall-after") { Description = "Fault: stop answering after N messages" }.Within(0, int.MaxValue);
        var maxMessageBytes = new Option<int>("--max-message-bytes")
        {
            Description = "Longest program message the board accepts; longer ones are discarded with -363",
            DefaultValueFactory = _ => BoardServerOptions.DefaultMaxMessageBytes,
        };
        var maxReplyBytes = new Option<int>("--max-reply-bytes")
        {
            Description = "Largest response message (and so the output queued per connection); larger ones are discarded with -430",
            DefaultValueFactory = _ => BoardServerOptions.DefaultMaxReplyBytes,
        };
        var bench = new Option<string>("--bench")
        {
            Description = "What to serve: 'board' (the array as a CimHil board), 'smu-matrix' (an emulated Keithley 2450 SMU and 707B matrix in front of the array, SMU on --port, matrix on the next port), 'b1500' (an emulated B1500A on --port, 707B on the next, B1530A WGFMU call lines on the one after), 'keithley-2600b' (an emulated Keithley 2636B, TSP, on --port and a 707B on the next) or 'keithley-4200a' (an emulated 4200A-SCS, KXCI with NUL terminators, on --port and a 707B on the next)",
            DefaultValueFactory = _ => BoardBenchName,
        };
        bench.AcceptOnlyFromAmong(BoardBenchName, SmuMatrixBenchName, B1500BenchName, Keithley2600BBenchName, Keithley4200ABenchName);
        var rows = new Option<int?>("--rows") { Description = "Rows of the emulated array (default: the config's emulator.rows; the matrix benches reach at most 12)" }.Within(1, EmulatorSettings.MaxDimension);
        var columns = new Option<int?>("--columns") { Description = "Columns of the emulated array (default: the config's emulator.columns; the matrix benches reach at most 12)" }.Within(1, EmulatorSettings.MaxDimension);
        var command = new Command("serve", "Serve the emulated chip over TCP and/or a pseudo-terminal: as a CimHil board (docs/protocol.md) or behind an emulated SMU + switch matrix (docs/drivers.md)")
        {
            bench, host, port, rows, columns, noTcp, serial, vxi11, portmapperPort, hislip, hislipPort, duration, dropAfter, dropRepeat, delayMs, corrupt, stallAfter, maxMessageBytes, maxReplyBytes,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var benchKind = parse.GetValue(bench)!;
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
            {
                throw new CliUsageException($"--host '{parse.GetValue(host)}' is not an IP address");
            }

            var config = TryConfig(services, parse);
            var logger = config is null ? Serilog.Core.Logger.None : services.Logger(parse);
            var settings = config is null ? EmulatorSettings.Defaults : EmulatorSettings.Parse(config.Section("emulator"));
            settings = settings with
            {
                Rows = parse.GetValue(rows) ?? settings.Rows,
                Columns = parse.GetValue(columns) ?? settings.Columns,
            };
            if (benchKind != BoardBenchName)
            {
                var faultOptions = new Option[] { dropAfter, dropRepeat, delayMs, corrupt, stallAfter, serial, noTcp, vxi11, portmapperPort, hislip, hislipPort, maxMessageBytes, maxReplyBytes };
                if (faultOptions.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } used)
                {
                    throw new CliUsageException($"{used.Name} applies to the board bench only; the {benchKind} bench serves its instruments on TCP");
                }

                return await ServeInstrumentBenchAsync(services, parse, benchKind, settings, logger, address, parse.GetValue(port), parse.GetValue(duration), ct);
            }

            if (parse.GetValue(noTcp) && !parse.GetValue(serial) && !parse.GetValue(vxi11) && !parse.GetValue(hislip))
            {
                throw new CliUsageException("--no-tcp needs --serial, --vxi11 or --hislip: there would be nothing to serve");
            }

            var wirePorts = config is null ? EmulatorWirePorts.Defaults : EmulatorWirePorts.Parse(config.Section("emulator"));

            // The board enforces the bench's safety limits (chip.safety of the config, else the defaults the shipped config
            // states) on every stimulus, whoever connects: a raw socket client is not behind the CLI's SafeChip.
            foreach (var (name, value) in new[] { ("--max-message-bytes", parse.GetValue(maxMessageBytes)), ("--max-reply-bytes", parse.GetValue(maxReplyBytes)) })
            {
                if (value < BoardServerOptions.MinimumBytes)
                {
                    throw new CliUsageException($"{name} {value}: must be at least {BoardServerOptions.MinimumBytes} bytes");
                }
            }

            var options = new BoardServerOptions
            {
                Limits = config?.Chip.Safety ?? SafetyLimits.Default,
                MaxMessageBytes = parse.GetValue(maxMessageBytes),
                MaxReplyBytes = parse.GetValue(maxReplyBytes),
            };
            await using var chip = new EmulatedChip(settings);
            using var board = new BoardServer(chip, logger, options);
            board.Faults = new BoardFaults
            {
                DropAfterCommands = parse.GetValue(dropAfter),
                RepeatDrop = parse.GetValue(dropRepeat),
                ReplyDelay = TimeSpan.FromMilliseconds(parse.GetValue(delayMs)),
                CorruptReplies = parse.GetValue(corrupt),
                StallAfterCommands = parse.GetValue(stallAfter),
            };

            BoardTcpServer? tcp = null;
            BoardPtyServer? pty = null;
            Vxi11BoardServer? vxi = null;
            HiSlipBoardServer? hiSlipServer = null;
            try
            {
                services.Output.WriteLine($"Emulated {settings.Technology} {settings.Rows}x{settings.Columns} array (seed {settings.Seed}); faults: {board.Faults}");
                if (!parse.GetValue(noTcp))
                {
                    tcp = new BoardTcpServer(board, logger, address, parse.GetValue(port));
                    tcp.Start();
                    services.Output.WriteLine($"TCP     {tcp.ResourceString}");
                }

                if (parse.GetValue(vxi11))
                {
                    vxi = await StartVxi11Async(board, logger, address, parse.GetValue(portmapperPort) ?? wirePorts.PortmapperPort);
                    services.Output.WriteLine($"VXI-11  {vxi.ResourceString}   (portmapper on port {vxi.PortmapperPort}, core channel on port {vxi.Port})");
                }

                if (parse.GetValue(hislip))
                {
                    hiSlipServer = await StartHiSlipAsync(board, logger, address, parse.GetValue(hislipPort) ?? wirePorts.HiSlipPort);
                    services.Output.WriteLine($"HiSLIP  {hiSlipServer.ResourceString}   (both channels on port {hiSlipServer.Port})");
                }

                if (parse.GetValue(serial))
                {
                    pty = new BoardPtyServer(board, logger);
                    pty.Start();
                    services.Output.WriteLine($"Serial  {pty.ResourceString}   (device {pty.DevicePath})");
                }

                services.Output.WriteLine($"hil-config.json chip section for the cimhil-board driver (the safety limits this board enforces, {(config is null ? "the defaults" : $"from {config.SourcePath}")}):");
                services.Output.WriteLine($$"""  "chip": { "driver": "cimhil-board", "settings": { "resource": "{{tcp?.ResourceString ?? vxi?.ResourceString ?? hiSlipServer?.ResourceString ?? pty!.ResourceString}}" }, "safety": {{SafetyJson(options.Limits)}} }""");
                services.Output.WriteLine($"Limits  messages up to {options.MaxMessageBytes} bytes (-363 beyond), replies up to {options.MaxReplyBytes} bytes (-430 beyond)");
                await ServeUntilStoppedAsync(services, parse.GetValue(duration), ct);
                services.Output.WriteLine($"Stopped after {board.Protocol.CommandsExecuted} commands, {board.PulsesApplied} programming pulses, {board.Protocol.FormingPulsesApplied} forming pulses.");
                return ExitCodes.Success;
            }
            finally
            {
                if (tcp is not null)
                {
                    await tcp.DisposeAsync();
                }

                if (pty is not null)
                {
                    await pty.DisposeAsync();
                }

                if (vxi is not null)
                {
                    await vxi.DisposeAsync();
                }

                if (hiSlipServer is not null)
                {
                    await hiSlipServer.DisposeAsync();
                }
            }
        });
        return new Command("emulator", "The chip emulator") { command, EmulatorResetCommand.Create(services) };
    }

    /// <summary>An emulated instrument bench in front of the array: each instrument on its own TCP port from <paramref name="port"/> on.</summary>
    private static async Task<int> ServeInstrumentBenchAsync(CliServices services, ParseResult parse, string kind, EmulatorSettings settings, Serilog.ILogger logger, IPAddress address, int port, double? seconds, CancellationToken ct)
    {
        // One 7174A card carries at most 12 lines per line set; a bigger configured array is cut to what the matrix reaches
        // unless the user asked for a size explicitly, which then must fit.
        var cap = MatrixWiring.CardColumns;
        foreach (var (name, value) in new[] { ("--rows", parse.GetValue<int?>("--rows")), ("--columns", parse.GetValue<int?>("--columns")) })
        {
            if (value > cap)
            {
                throw new CliUsageException($"{name} {value}: the {kind} bench reaches at most {cap} lines per set (one 12-column 7174A matrix card)");
            }
        }

        settings = settings with { Rows = Math.Min(settings.Rows, cap), Columns = Math.Min(settings.Columns, cap) };
        var ports = kind == B1500BenchName ? 3 : 2;
        if (port < 0 || port > 65536 - ports)
        {
            throw new CliUsageException($"--port {port}: the {kind} bench needs {ports} ports, --port to --port + {ports - 1} (0 picks free ones)");
        }

        await using var chip = new EmulatedChip(settings);
        var technology = settings.Technology.ToString().ToLowerInvariant();
        SmuMatrixBench? station = null;
        B1500Bench? fast = null;
        Keithley2600BBench? tsp = null;
        Keithley4200ABench? kxci = null;
        (string Label, ILineInstrument Instrument)[] instruments;
        if (kind == B1500BenchName)
        {
            fast = new B1500Bench(chip, logger);
            instruments = [("Mainframe", fast.Mainframe), ("Matrix", fast.Matrix), ("WGFMU", fast.Wgfmu)];
        }
        else if (kind == Keithley2600BBenchName)
        {
            tsp = new Keithley2600BBench(chip, logger);
            instruments = [("SMU", tsp.Smu), ("Matrix", tsp.Matrix!)];
        }
        else if (kind == Keithley4200ABenchName)
        {
            kxci = new Keithley4200ABench(chip, logger);
            instruments = [("Analyzer", kxci.Analyzer), ("Matrix", kxci.Matrix)];
        }
        else
        {
            station = new SmuMatrixBench(chip, logger);
            instruments = [("SMU", station.Smu), ("Matrix", station.Matrix)];
        }

        var servers = instruments.Select((x, i) => new LineInstrumentServer(x.Instrument, logger, address, port == 0 ? 0 : port + i, terminator: x.Instrument is Keithley4200AEmulator ? (byte)0 : (byte)'\n')).ToList();
        try
        {
            servers.ForEach(x => x.Start());
            var r = servers.Select(x => x.ResourceString).ToArray();
            services.Output.WriteLine(kxci is not null
                ? $"Emulated {settings.Technology} {settings.Rows}x{settings.Columns} array (seed {settings.Seed}) behind a Keithley 4200A-SCS (KXCI, SMU1 and PMU channel 1 on RPM1) and a Keithley 707B matrix"
                : fast is not null
                ? $"Emulated {settings.Technology} {settings.Rows}x{settings.Columns} array (seed {settings.Seed}) behind a Keysight B1500A with a B1530A WGFMU (slot 1) and a Keithley 707B matrix"
                : $"Emulated {settings.Technology} {settings.Rows}x{settings.Columns} array (seed {settings.Seed}) behind a Keithley {(tsp is not null ? "2636B SourceMeter (TSP)" : "2450 SMU")} and a Keithley 707B matrix");
            for (var i = 0; i < r.Length; i++)
            {
                services.Output.WriteLine($"{instruments[i].Label,-9} {r[i]}");
            }

            // The safety limits of the config found (else the defaults), narrowed to the driver's hardware: pasted as it is, the
            // section loads (a 10 ns minimum pulse beside the SMU's 1 ms shortest would be refused).
            var safety = SafetyJson((TryConfig(services, parse)?.Chip.Safety ?? SafetyLimits.Default).Within(services.Registry.Get(kind).Create().Maxima));
            services.Output.WriteLine($"hil-config.json chip section for the {kind} driver (the safety limits of the config, within the driver's maxima):");
            services.Output.WriteLine(kxci is not null
                ? $$"""  "chip": { "driver": "{{kind}}", "settings": { "analyzer": "{{r[0]}}", "pmuChannel": 1, "matrix": "{{r[1]}}", "rows": {{settings.Rows}}, "columns": {{settings.Columns}}, "technology": "{{technology}}" }, "safety": {{safety}} }"""
                : fast is not null
                ? $$"""  "chip": { "driver": "b1500", "settings": { "mainframe": "{{r[0]}}", "matrix": "{{r[1]}}", "wgfmuAddress": "{{r[2]}}", "rows": {{settings.Rows}}, "columns": {{settings.Columns}}, "technology": "{{technology}}" }, "safety": {{safety}} }"""
                : $$"""  "chip": { "driver": "{{kind}}", "settings": { "smu": "{{r[0]}}", "matrix": "{{r[1]}}", "rows": {{settings.Rows}}, "columns": {{settings.Columns}}, "technology": "{{technology}}" }, "safety": {{safety}} }""");
            if (fast is not null)
            {
                services.Output.WriteLine("The WGFMU is reached through the B1530A instrument library: build the stand-in (docs/wgfmu-standin.md) and name it in $CIMHIL_WGFMU_LIBRARY or settings.wgfmuLibrary.");
            }

            await ServeUntilStoppedAsync(services, seconds, ct);
            services.Output.WriteLine(kxci is not null
                ? $"Stopped after {kxci.PulsesApplied} pulses, {kxci.ShortCircuits} short circuits; bench {(kxci.IsSafe ? "safe (SMUs off at 0 V, PMU outputs off, matrix open)" : "NOT in its safe state (a client left an output on or channels closed)")}."
                : tsp is not null
                ? $"Stopped after {tsp.PulsesApplied} pulses, {tsp.ShortCircuits} short circuits; bench {(tsp.IsSafe ? "safe (outputs off at 0 V, matrix open)" : "NOT in its safe state (a client left an output on or channels closed)")}."
                : fast is not null
                ? $"Stopped after {fast.PulsesApplied} pulses; bench {(fast.IsSafe ? "safe (WGFMU at 0 V and disconnected, matrix open)" : "NOT in its safe state (a client left a WGFMU channel connected or at a voltage, or channels closed)")}."
                : $"Stopped after {station!.PulsesApplied} pulses, {station.ShortCircuits} short circuits; bench {(station.IsSafe ? "safe (output off at 0 V, matrix open)" : "NOT in its safe state (a client left the output on or channels closed)")}.");
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var x in servers)
            {
                await x.DisposeAsync();
            }
        }
    }

    /// <summary>The VXI-11 server; a portmapper port that cannot be bound (111 without root, or rpcbind on it) is a usage error.</summary>
    private static async Task<Vxi11BoardServer> StartVxi11Async(BoardServer board, Serilog.ILogger logger, IPAddress address, int portmapperPort)
    {
        var server = new Vxi11BoardServer(board, logger, address, portmapperPort: portmapperPort);
        try
        {
            server.Start();
            return server;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await server.DisposeAsync();
            throw new CliUsageException($"--portmapper-port {portmapperPort}: cannot listen ({ex.SocketErrorCode}); port 111 needs root and must not be held by rpcbind; pass another port (0 picks a free one)");
        }
    }

    /// <summary>The HiSLIP server; a port that cannot be bound is a usage error naming it.</summary>
    private static async Task<HiSlipBoardServer> StartHiSlipAsync(BoardServer board, Serilog.ILogger logger, IPAddress address, int port)
    {
        var server = new HiSlipBoardServer(board, logger, address, port);
        try
        {
            server.Start();
            return server;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await server.DisposeAsync();
            throw new CliUsageException($"--hislip-port {port}: cannot listen ({ex.SocketErrorCode}); pass another port (0 picks a free one)");
        }
    }

    private static async Task ServeUntilStoppedAsync(CliServices services, double? seconds, CancellationToken ct)
    {
        services.Output.WriteLine("Serving; Ctrl+C stops.");
        services.Output.Flush();
        try
        {
            await Task.Delay(seconds is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C is how a server is meant to stop.
        }
    }

    /// <summary>The limits as hil-config.json's chip.safety object, so the printed section can be pasted as it is.</summary>
    private static string SafetyJson(SafetyLimits l) => FormattableString.Invariant(
        $$"""{ "maxSetVoltageV": {{l.MaxSetVoltageV:R}}, "maxResetVoltageV": {{l.MaxResetVoltageV:R}}, "maxFormVoltageV": {{l.MaxFormVoltageV:R}}, "maxReadVoltageV": {{l.MaxReadVoltageV:R}}, "maxGateVoltageV": {{l.MaxGateVoltageV:R}}, "maxComplianceA": {{l.MaxComplianceA:R}}, "maxPulseWidthSeconds": {{l.MaxPulseWidthSeconds:R}}, "minPulseWidthSeconds": {{l.MinPulseWidthSeconds:R}} }""");

    private static HilConfig? TryConfig(CliServices services, ParseResult parse)
    {
        var explicitPath = parse.GetValue(services.ConfigOption);
        var path = HilConfigLoader.ResolvePath(explicitPath);
        return string.IsNullOrEmpty(explicitPath) && !File.Exists(path) ? null : services.Config(parse);
    }
}
