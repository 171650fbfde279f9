using System.CommandLine;
using System.Globalization;
using System.Text;
using CimHil.Instruments;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Scpi;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil instruments shell RESOURCE</c>: an interactive query/write prompt (like pyvisa-shell) that reads standard
/// input, so it also runs from a pipe. A line ending in <c>?</c> is a query; errors and timeouts are shown and the
/// shell goes on.
/// </summary>
public static class InstrumentsShellCommand
{
    private const string Help = """
        Commands:
          <query>?            send a query and show the reply (a line ending in '?')
          query <text>        send <text> and show the reply
          write <text>        send <text> (needs --allow-writes)
          read                read one reply
          timeout [seconds]   show or set the timeout (e.g. timeout 0.5, timeout 200ms)
          termination [lf|cr] show or set the message termination
          error               read the instrument's error queue (SCPI, TSP or FLEX, from *IDN?)
          history             the commands entered so far
          help                this text
          exit                leave (also quit, or end of input)
        """;

    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var resource = new Argument<string>("resource") { Description = "VISA resource string or an alias from hil-config.json" };
        var visa = InstrumentsProbeCommand.VisaOption();
        var baud = InstrumentsProbeCommand.BaudOption();
        var allowWrites = new Option<bool>("--allow-writes")
        {
            Description = "Allow 'write' and other commands without a reply. Raw commands go around chip.safety: nothing checks their voltages",
        };
        var command = new Command("shell", "Interactive query/write prompt for one instrument (reads commands from standard input)") { resource, visa, baud, allowWrites };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = InstrumentsProbeCommand.TryConfig(services, parse);
            var logger = config is null ? Serilog.Core.Logger.None : services.Logger(parse);
            var text = parse.GetValue(resource)!;
            VisaResource parsed;
            try
            {
                parsed = VisaResource.Parse(config?.Instruments.Resolve(text) ?? text);
            }
            catch (ResourceFormatException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var options = InstrumentsProbeCommand.Options(config, parsed, parse.GetValue(visa), parse.GetValue(baud));

            // No silent-query probe: a query the instrument does not answer is shown as a timeout, not chased with SYST:ERR?,
            // which a TSP or FLEX instrument would not answer either.
            var sessionOptions = new ScpiSessionOptions { Terminator = options.Terminator, ProbeErrorsOnSilentQuery = false };
            var session = await ScpiSession.OpenAsync(parsed.Canonical, options, logger, ct, sessionOptions: sessionOptions);
            var shell = new Shell(services.Output, session, options.Config, logger, sessionOptions, parse.GetValue(allowWrites));
            try
            {
                return await shell.RunAsync(Console.In, !Console.IsInputRedirected, ct);
            }
            finally
            {
                await shell.Session.DisposeAsync();
            }
        });
        return command;
    }

    /// <summary>The prompt loop; one session, replaced only when the termination changes.</summary>
    private sealed class Shell(TextWriter output, ScpiSession session, Core.Config.TransportConfig config, Serilog.ILogger logger, ScpiSessionOptions sessionOptions, bool allowWrites)
    {
        private readonly List<string> _history = [];
        private ScpiSessionOptions _sessionOptions = sessionOptions;
        private InstrumentErrorQueue? _errorQueue;

        public ScpiSession Session { get; private set; } = session;

        public async Task<int> RunAsync(TextReader input, bool interactive, CancellationToken ct)
        {
            output.WriteLine($"Connected to {Session.Resource} over {Session.Transport.GetType().Name}; timeout {Seconds(Session.Transport.Timeout)}, termination {Name(_sessionOptions.Terminator)}. Type help for commands.");
            while (!ct.IsCancellationRequested)
            {
                if (interactive)
                {
                    output.Write("(cimhil) ");
                    output.Flush();
                }

                var line = await input.ReadLineAsync(ct);
                if (line is null)
                {
                    break;
                }

                line = line.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                _history.Add(line);
                var (verb, rest) = Split(line);
                if (verb is "exit" or "quit")
                {
                    break;
                }

                try
                {
                    await ExecuteAsync(verb, rest, line, ct);
                }
                catch (Exception ex) when (ex is InstrumentException or ScpiErrorException or FormatException)
                {
                    // A typed query is never retried, so a timeout arrives as an uncertain outcome wrapping the timeout.
                    var kind = ex is InstrumentTimeoutException || ex.InnerException is InstrumentTimeoutException ? "timeout" : "error";
                    output.WriteLine($"{kind}: {ex.Message}");
                }

                output.Flush();
            }

            return ExitCodes.Success;
        }

        private async Task ExecuteAsync(string verb, string rest, string line, CancellationToken ct)
        {
            switch (verb)
            {
                case "help" or "?":
                    output.WriteLine(Help);
                    return;
                case "history":
                    for (var i = 0; i < _history.Count; i++)
                    {
                        output.WriteLine($"{(i + 1).ToString(CultureInfo.InvariantCulture),4}  {_history[i]}");
                    }

                    return;
                case "timeout":
                    if (rest.Length > 0)
                    {
                        Session.Transport.Timeout = ParseTimeout(rest);
                    }

                    output.WriteLine($"timeout {Seconds(Session.Transport.Timeout)}");
                    return;
                case "termination":
                    if (rest.Length > 0)
                    {
                        var terminator = rest.ToUpperInvariant() switch
                        {
                            "LF" or "\\N" => (byte)'\n',
                            "CR" or "\\R" => (byte)'\r',
                            _ => throw new FormatException($"termination '{rest}' is not lf or cr"),
                        };

                        // Session options are fixed per session: the same open transport gets a session with the new termination.
                        _sessionOptions = _sessionOptions with { Terminator = terminator };
                        Session = new ScpiSession(Session.Transport, config, logger, _sessionOptions);
                    }

                    output.WriteLine($"termination {Name(_sessionOptions.Terminator)}");
                    return;
                case "error":
                    _errorQueue ??= await ErrorQueueAsync(ct);
                    var errors = await _errorQueue.DrainAsync(Session, ct);
                    output.WriteLine(errors.Count == 0
                        ? $"error queue empty (read with {_errorQueue.NextQuery})"
                        : string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
                    return;
                case "read":
                    var reply = await Session.Transport.ReadUntilAsync(_sessionOptions.Terminator, _sessionOptions.MaxReplyBytes, ct);
                    output.WriteLine(Encoding.ASCII.GetString(reply).TrimEnd('\r'));
                    return;
                case "query":
                    await QueryAsync(rest, ct);
                    return;
                case "write":
                    await WriteAsync(rest, ct);
                    return;
            }

            if (line.EndsWith('?'))
            {
                await QueryAsync(line, ct);
            }
            else
            {
                await WriteAsync(line, ct);
            }
        }

        private async Task QueryAsync(string query, CancellationToken ct)
        {
            if (query.Length == 0)
            {
                throw new FormatException("query needs the text to send");
            }

            // Never retried: a query typed by hand may have a side effect (CELL:FORM? forms a cell).
            output.WriteLine(await Session.QueryNonIdempotentAsync(query, ct));
        }

        private async Task WriteAsync(string text, CancellationToken ct)
        {
            if (text.Length == 0)
            {
                throw new FormatException("write needs the text to send");
            }

            if (!allowWrites)
            {
                output.WriteLine($"refused: '{text}' was not sent; writes can change the instrument's outputs around chip.safety, so start the shell with --allow-writes to send them");
                return;
            }

            await Session.WriteAsync(text, ct);
        }

        private async Task<InstrumentErrorQueue> ErrorQueueAsync(CancellationToken ct)
        {
            var identity = InstrumentIdentity.Parse(await Session.QueryAsync("*IDN?", ct));
            return InstrumentErrorQueue.For(identity, explicitQuery: null);
        }

        private static (string Verb, string Argument) Split(string line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var first = space < 0 ? line : line[..space];
            var verb = first.ToLowerInvariant();
            return verb is "help" or "history" or "timeout" or "termination" or "error" or "read" or "query" or "write" or "exit" or "quit"
                ? (verb, space < 0 ? string.Empty : line[(space + 1)..].Trim())
                : (string.Empty, line);
        }

        private static TimeSpan ParseTimeout(string text)
        {
            var ms = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase);
            var number = ms ? text[..^2] : text.TrimEnd('s', 'S');
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value <= 0 || value > 3600)
            {
                throw new FormatException($"timeout '{text}' is not a duration in (0, 3600] s (e.g. 0.5 or 500ms)");
            }

            return ms ? TimeSpan.FromMilliseconds(value) : TimeSpan.FromSeconds(value);
        }

        private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

        private static string Name(byte terminator) => terminator switch
        {
            (byte)'\n' => "lf",
            (byte)'\r' => "cr",
            _ => $"0x{terminator:X2}",
        };
    }
}
