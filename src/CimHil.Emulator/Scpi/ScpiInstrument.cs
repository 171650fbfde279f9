using System.Globalization;
using Serilog;
using static CimHil.Emulator.Scpi.ScpiResponse;

namespace CimHil.Emulator.Scpi;

/// <summary>
/// The message handling every emulated SCPI-style instrument shares (the board protocol, the emulated 2450, 707B and
/// B1500A): splitting a program message into units, parsing headers and parameters, the error queue with its -350
/// overflow entry, the IEEE 488.2 common commands (*IDN?, *RST, *CLS, *OPC?, *OPC, *WAI, *TST?, *ESR?, *STB?) and the
/// SCPI error queries. An instrument is its command table plus the hooks for *IDN? and *RST.
/// </summary>
internal sealed class ScpiInstrument
{
    private readonly ScpiInstrumentOptions _options;
    private readonly ILogger _logger;
    private readonly ScpiCommand[] _commands;
    private readonly ScpiHandler? _fallback;
    private long _unitsExecuted;

    /// <summary>
    /// An instrument answering <paramref name="commands"/> and the common commands. <paramref name="identify"/> gives the
    /// *IDN? reply, <paramref name="reset"/> runs on *RST; <paramref name="fallback"/>, when given, gets every unit no
    /// header matched (a TSP statement, a FLEX command's own error) instead of -113.
    /// </summary>
    public ScpiInstrument(
        ScpiInstrumentOptions options,
        ILogger logger,
        Func<string> identify,
        Func<CancellationToken, Task> reset,
        IEnumerable<ScpiCommand> commands,
        ScpiHandler? fallback = null)
    {
        _options = options;
        _logger = logger;
        _fallback = fallback;
        Errors = new ScpiErrorQueue(options.QueueOverflowEntry);
        ScpiCommand[] common =
        [
            new("*IDN?", (_, _) => TextTask(identify())),
            new("*RST", async (request, ct) =>
            {
                request.Count(0, 0);
                await reset(ct).ConfigureAwait(false);
                return null;
            }),
            new("*CLS", (_, _) =>
            {
                Errors.Clear();
                return None;
            }),
            new("*OPC?", (_, _) => TextTask("1")),
            new("*OPC", (_, _) => None),
            new("*WAI", (_, _) => None),
            new("*TST?", (_, _) => TextTask("0")),
            new("*ESR?", (_, _) => TextTask(Errors.ReadEventStatus().ToString(CultureInfo.InvariantCulture))),
            new("*STB?", (_, _) => TextTask(Errors.StatusByte.ToString(CultureInfo.InvariantCulture))),
        ];
        ScpiCommand[] errorQueries =
        [
            new("SYSTem:ERRor[:NEXT]?", (_, _) => TextTask(Errors.Next())),
            new("SYSTem:ERRor:COUNt?", (_, _) => TextTask(Errors.Count.ToString(CultureInfo.InvariantCulture))),
        ];
        _commands = [.. commands, .. common, .. options.SystemErrorQueries ? errorQueries : []];
    }

    /// <summary>The error queue and event status register.</summary>
    public ScpiErrorQueue Errors { get; }

    /// <summary>Program message units executed (successful or not).</summary>
    public long UnitsExecuted => Interlocked.Read(ref _unitsExecuted);

    /// <summary>
    /// Executes one program message (a line without its terminator); returns the response message, or null when it
    /// has none (no query, or, by IEEE 488.2, a query failed: it is answered by silence and an error-queue entry).
    /// </summary>
    public async Task<byte[]?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var output = new MemoryStream();
        var executed = 0;
        var responses = 0;
        foreach (var unit in ScpiMessage.SplitOutsideQuotes(message, ';'))
        {
            if (unit.Length == 0)
            {
                continue;
            }

            Interlocked.Increment(ref _unitsExecuted);
            executed++;
            try
            {
                var response = await ExecuteUnitAsync(unit, cancellationToken).ConfigureAwait(false);
                if (response is null)
                {
                    continue;
                }

                var bytes = response.Encode(_options.ReplyEncoding);
                var separator = responses > 0 ? 1 : 0;
                if (output.Length + separator + bytes.Length > _options.MaxReplyBytes)
                {
                    // The output queue is full and the client is still sending: IEEE 488.2 section 6.3.1.7 breaks this
                    // deadlock by discarding the output (-430). The rest of the message is discarded like after any error,
                    // so one message can never make the instrument hold more than the cap.
                    throw new ScpiCommandException(-430, $"Query DEADLOCKED;the responses to this message exceed the {_options.MaxReplyBytes}-byte output queue at unit {executed} ({ScpiMessage.Head(unit)}); output discarded, the rest of the message not executed");
                }

                if (separator == 1)
                {
                    output.WriteByte((byte)_options.ResponseSeparator);
                }

                output.Write(bytes);
                responses++;
            }
            catch (ScpiCommandException ex)
            {
                Errors.Push(ex.Code, ex.Message);
                _logger.Debug("{Instrument} command {Command} failed: {Code} {Message}", _options.Name, ScpiMessage.Head(unit), ex.Code, ex.Message);
                if (ex.Code == -430 || _options.AfterError == ScpiErrorPolicy.DiscardMessage)
                {
                    // IEEE 488.2 section 6.1.10: after an error the rest of the message is discarded and no response is sent.
                    return null;
                }

                if (_options.AfterError == ScpiErrorPolicy.KeepEarlierResponses)
                {
                    break;
                }
            }
        }

        return responses == 0 ? null : output.ToArray();
    }

    /// <summary><see cref="ExecuteAsync"/> for the line instruments, whose responses are text.</summary>
    public async Task<string?> ExecuteTextAsync(string message, CancellationToken cancellationToken) =>
        await ExecuteAsync(message, cancellationToken).ConfigureAwait(false) is { } reply ? _options.ReplyEncoding.GetString(reply) : null;

    private async Task<ScpiResponse?> ExecuteUnitAsync(string unit, CancellationToken cancellationToken)
    {
        var space = unit.IndexOfAny([' ', '\t']);
        var header = space < 0 ? unit : unit[..space];
        var isQuery = header.EndsWith('?');
        var path = (isQuery ? header[..^1] : header).TrimStart(':');
        if (path.Length > 0)
        {
            var tokens = path.Split(':');
            foreach (var command in _commands)
            {
                if (command.Header.Matches(tokens, isQuery))
                {
                    var parameters = space < 0 ? [] : ScpiRequest.SplitParameters(unit[(space + 1)..].Trim());
                    return await command.Handler(new ScpiRequest(unit, parameters), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (_fallback is not null)
        {
            return await _fallback(new ScpiRequest(unit, []), cancellationToken).ConfigureAwait(false);
        }

        throw path.Length == 0 ? new ScpiCommandException(-102, "Syntax error") : new ScpiCommandException(-113, $"Undefined header;{header}");
    }
}
