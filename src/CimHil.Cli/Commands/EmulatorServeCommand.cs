using System.CommandLine;
using System.Net;
using CimHil.Core.Config;
using CimHil.Emulator;
using CimHil.Emulator.Wire;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil emulator serve</c>: the emulated chip as an instrument speaking the CimHil board protocol (docs/protocol.md)
/// over TCP and/or a pseudo-terminal serial line, with optional fault injection for resilience tests.
/// </summary>
public static class EmulatorServeCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 5025 };
        var noTcp = new Option<bool>("--no-tcp") { Description = "Do not listen on TCP" };
        var serial = new Option<bool>("--serial") { Description = "Also serve on a pseudo-terminal serial line (its path is printed)" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl+C)" };
        var dropAfter = new Option<int?>("--drop-after") { Description = "Fault: drop the link on the N-th message (it is executed, its reply lost)" };
        var dropRepeat = new Option<bool>("--drop-repeat") { Description = "Fault: drop on every N-th message, not only once" };
        var delayMs = new Option<double>("--delay-ms") { Description = "Fault: delay every reply by this many milliseconds", DefaultValueFactory = _ => 0 };
        var corrupt = new Option<int>("--corrupt") { Description = "Fault: corrupt the next N replies", DefaultValueFactory = _ => 0 };
        var stallAfter = new Option<int?>("--stall-after") { Description = "Fault: stop answering after N messages" };
        var command = new Command("serve", "Serve the emulated chip as an instrument over TCP and/or a pseudo-terminal (CimHil board protocol)")
        {
            host, port, noTcp, serial, duration, dropAfter, dropRepeat, delayMs, corrupt, stallAfter,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            if (parse.GetValue(noTcp) && !parse.GetValue(serial))
            {
                throw new CliUsageException("--no-tcp needs --serial: there would be nothing to serve");
            }

            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
            {
                throw new CliUsageException($"--host '{parse.GetValue(host)}' is not an IP address");
            }

            var config = TryConfig(services, parse);
            var logger = config is null ? Serilog.Core.Logger.None : services.Logger(parse);
            var settings = config is null ? EmulatorSettings.Defaults : EmulatorSettings.Parse(config.Section("emulator"));
            await using var chip = new EmulatedChip(settings);
            using var board = new BoardServer(chip, logger);
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
            try
            {
                services.Output.WriteLine($"Emulated {settings.Technology} {settings.Rows}x{settings.Columns} array (seed {settings.Seed}); faults: {board.Faults}");
                if (!parse.GetValue(noTcp))
                {
                    tcp = new BoardTcpServer(board, logger, address, parse.GetValue(port));
                    tcp.Start();
                    services.Output.WriteLine($"TCP     {tcp.ResourceString}");
                }

                if (parse.GetValue(serial))
                {
                    pty = new BoardPtyServer(board, logger);
                    pty.Start();
                    services.Output.WriteLine($"Serial  {pty.ResourceString}   (device {pty.DevicePath})");
                }

                services.Output.WriteLine("Serving; Ctrl+C stops.");
                services.Output.Flush();
                try
                {
                    var seconds = parse.GetValue(duration);
                    await Task.Delay(seconds is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Ctrl+C is how a server is meant to stop.
                }

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
            }
        });
        return new Command("emulator", "The chip emulator") { command };
    }

    private static HilConfig? TryConfig(CliServices services, ParseResult parse)
    {
        var explicitPath = parse.GetValue(services.ConfigOption);
        var path = HilConfigLoader.ResolvePath(explicitPath);
        return string.IsNullOrEmpty(explicitPath) && !File.Exists(path) ? null : services.Config(parse);
    }
}
