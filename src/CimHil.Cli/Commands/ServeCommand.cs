using System.CommandLine;
using System.Net;
using CimHil.Server;
using CimHil.Workflows;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil serve</c>: the bench server (docs/api.md): the live page, the HTTP API and the event stream, running
/// workflows on the configured chip one at a time. Loopback by default; any other address requires a token, generated
/// and printed here unless given.
/// </summary>
public static class ServeCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var bind = new Option<string>("--bind") { Description = "Address to listen on (default 127.0.0.1; any other address requires the token)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port (0 picks a free one; the URL is printed)", DefaultValueFactory = _ => 8750 }.Within(0, 65535);
        var token = new Option<string?>("--token") { Description = "Access token to require (default: none on loopback, a new random one otherwise; or $CIMHIL_TOKEN)" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl+C)" }.Within(0, 31_536_000);
        var command = new Command("serve", "Serve the bench: live page, HTTP API and live events (server-sent events); start, stop, resume and follow workflows from a browser or Python")
        {
            bind, port, token, duration,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var text = parse.GetValue(bind)!;
            if (!IPAddress.TryParse(text, out var address))
            {
                throw new CliUsageException($"--bind {text}: not an IP address (127.0.0.1, ::1, 0.0.0.0, or one of this machine's)");
            }

            var given = parse.GetValue(token) ?? (Environment.GetEnvironmentVariable("CIMHIL_TOKEN") is { Length: > 0 } t ? t : null);
            if (given is { Length: < 16 })
            {
                throw new CliUsageException("--token: at least 16 characters (a short token can be guessed)");
            }

            var config = services.Config(parse);
            var settings = RunSettings.Parse(config.Section("run"));
            var options = new BenchServerOptions
            {
                Config = config,
                Drivers = services.Registry,
                BindAddress = address,
                Port = parse.GetValue(port),
                Token = given,
                RunsRoot = settings.OutputRoot,
            };
            await using var server = await BenchServer.StartAsync(options, services.Logger(parse), ct);
            var link = server.Token is null ? server.Url.ToString() : $"{server.Url}?token={server.Token}";
            services.Output.WriteLine($"cimhil serve: {link}");
            if (server.Token is not null)
            {
                services.Output.WriteLine($"token: {server.Token}");
            }

            services.Output.WriteLine("Serving; Ctrl+C stops (a running workflow is stopped first: the chip to its safe state, its run resumable).");
            services.Output.Flush();
            try
            {
                await Task.Delay(parse.GetValue(duration) is { } s ? TimeSpan.FromSeconds(s) : Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is how a server is meant to stop.
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
