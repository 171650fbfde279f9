using System.Globalization;
using System.Text;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>Encoding of bulk replies (BLK:READ?, ROW:READ?, ARR:VMM?), set by <c>FORM[:DATA]</c>.</summary>
public enum BoardDataFormat
{
    /// <summary>Comma-separated NR3 numbers (the SCPI *RST default).</summary>
    Ascii,

    /// <summary>Definite-length block of IEEE 754 float64.</summary>
    Real64,

    /// <summary>Definite-length block of IEEE 754 float32 (half the bytes, ~7 significant digits).</summary>
    Real32,
}

/// <summary>
/// The CimHil board protocol (docs/protocol.md): SCPI-style commands over any byte stream, executed against any
/// <see cref="IChip"/>. One instance is the instrument: its error queue, data format and pulse counters are shared by
/// every connection, as on a real instrument. Thread-safe; chip operations are serialised.
/// </summary>
public sealed partial class BoardProtocol : IDisposable
{
    /// <summary>Error-queue depth; on overflow the newest entry becomes -350 (SCPI-99 vol. 2 section 21.8.2).</summary>
    public const int ErrorQueueCapacity = 32;

    /// <summary>Longest error-queue text, "Description;detail" (SCPI-99 volume 2, section 21.8: at most 255 characters).</summary>
    public const int MaxErrorTextLength = 255;

    private readonly IChip _chip;
    private readonly SafetyLimits _safety;
    private readonly int _maxReplyBytes;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _chipLock = new(1, 1);
    private readonly Lock _errorGate = new();
    private readonly Queue<(int Code, string Message)> _errors = new();
    private readonly (ScpiHeader Header, Func<BoardRequest, CancellationToken, Task<byte[]?>> Handler)[] _commands;
    private long _pulses;
    private long _formingPulses;
    private long _commandsExecuted;
    private int _eventStatus;

    /// <summary>The instrument over <paramref name="chip"/>, refusing what <paramref name="options"/> forbids (default: <see cref="BoardServerOptions.Default"/>).</summary>
    public BoardProtocol(IChip chip, ILogger logger, BoardServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        options = (options ?? BoardServerOptions.Default).Validate();
        _chip = chip;

        // The checks SafeChip makes (SafetyLimits: one safety gate for every path); operations go to the chip itself.
        _safety = options.Limits;
        _maxReplyBytes = options.MaxReplyBytes;
        _logger = logger;
        _commands =
        [
            (new("*IDN?"), (_, _) => Text($"{Field(chip.Identity.Vendor)},{Field(chip.Identity.Model)},{Field(chip.Identity.Serial)},{Field(chip.Identity.Firmware)}")),
            (new("*RST"), ResetAsync),
            (new("*CLS"), (_, _) => ClearStatus()),
            (new("*OPC?"), (_, _) => Text("1")),
            (new("*OPC"), (_, _) => None()),
            (new("*WAI"), (_, _) => None()),
            (new("*TST?"), (_, _) => Text("0")),
            (new("*ESR?"), (_, _) => Text(Interlocked.Exchange(ref _eventStatus, 0).ToString(CultureInfo.InvariantCulture))),
            (new("*STB?"), (_, _) => Text(StatusByte().ToString(CultureInfo.InvariantCulture))),
            (new("SYSTem:ERRor[:NEXT]?"), (_, _) => Text(NextError())),
            (new("SYSTem:ERRor:COUNt?"), (_, _) => Text(ErrorCount().ToString(CultureInfo.InvariantCulture))),
            (new("SYSTem:VERSion?"), (_, _) => Text("1999.0")),
            (new("SYSTem:CLOCk?"), (_, _) => Text(Number((chip.Clock.Now - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond))),
            (new("SYSTem:CLOCk:VIRTual?"), (_, _) => Text(chip.Clock.IsVirtual ? "1" : "0")),
            (new("SYSTem:CLOCk:ADVance"), AdvanceClockAsync),
            (new("SYSTem:SAFE"), SafeStateAsync),
            (new("SYSTem:PULSe:COUNt?"), (_, _) => Text(Interlocked.Read(ref _pulses).ToString(CultureInfo.InvariantCulture))),
            (new("SYSTem:FORMing:COUNt?"), (_, _) => Text(Interlocked.Read(ref _formingPulses).ToString(CultureInfo.InvariantCulture))),
            (new("ARRay:GEOMetry?"), (_, _) => Text($"{chip.Geometry.Rows},{chip.Geometry.Columns}")),
            (new("ARRay:TECHnology?"), (_, _) => Text(chip.Identity.Technology == DeviceTechnology.Pcm ? "PCM" : "RRAM")),
            (new("ARRay:CAPabilities?"), (_, _) => Text(Capabilities())),
            (new("ARRay:VMM?"), MultiplyAsync),
            (new("CELL:PROGram"), ProgramAsync),
            (new("CELL:FORM"), (r, ct) => FormAsync(r, reply: false, ct)),
            (new("CELL:FORM?"), (r, ct) => FormAsync(r, reply: true, ct)),
            (new("CELL:READ?"), ReadCellAsync),
            (new("ROW:READ?"), ReadRowAsync),
            (new("BLK:READ?"), ReadBlockAsync),
            (new("FORMat[:DATA]"), SetFormat),
            (new("FORMat[:DATA]?"), (_, _) => Text(Format switch { BoardDataFormat.Real64 => "REAL,64", BoardDataFormat.Real32 => "REAL,32", _ => "ASC" })),
            (new("FORMat:BORDer"), SetByteOrder),
            (new("FORMat:BORDer?"), (_, _) => Text(BigEndian ? "NORM" : "SWAP")),
        ];
    }

    /// <summary>The chip behind the wire.</summary>
    public IChip Chip => _chip;

    /// <summary>The safety limits every stimulus is checked against before it reaches the chip.</summary>
    public SafetyLimits Limits => _safety;

    /// <summary>Programming pulses applied (CELL:PROG), so tests can assert a pulse is never duplicated.</summary>
    public long PulsesApplied => Interlocked.Read(ref _pulses);

    /// <summary>Forming pulses applied (CELL:FORM / CELL:FORM?).</summary>
    public long FormingPulsesApplied => Interlocked.Read(ref _formingPulses);

    /// <summary>Program message units executed (successful or not).</summary>
    public long CommandsExecuted => Interlocked.Read(ref _commandsExecuted);

    /// <summary>Encoding of bulk replies (FORM[:DATA]); ASCii after *RST.</summary>
    public BoardDataFormat Format { get; private set; } = BoardDataFormat.Ascii;

    /// <summary>FORM:BORD NORM (big-endian, the IEEE 488.2 default) when true, SWAP (little-endian) when false.</summary>
    public bool BigEndian { get; private set; } = true;

    /// <summary>
    /// Executes one program message (a line without its terminator); returns the response message, or null when
    /// it contained no query or a query failed (a failed query is answered by silence and an error-queue entry).
    /// </summary>
    public async Task<byte[]?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var output = new MemoryStream();
        var executed = 0;
        foreach (var unit in SplitUnits(message))
        {
            if (unit.Length == 0)
            {
                continue;
            }

            Interlocked.Increment(ref _commandsExecuted);
            executed++;
            try
            {
                var response = await ExecuteUnitAsync(unit, cancellationToken).ConfigureAwait(false);
                if (response is null)
                {
                    continue;
                }

                // Several queries in one message: responses separated by ';' (IEEE 488.2 section 8.4.1).
                var separator = output.Length > 0 ? 1 : 0;
                if (output.Length + separator + response.Length > _maxReplyBytes)
                {
                    // The output queue is full and the client is still sending: IEEE 488.2 section 6.3.1.7 breaks this
                    // deadlock by discarding the output (-430). The rest of the message is discarded like after any error,
                    // so one message can never make the board hold more than the cap.
                    throw new ScpiCommandException(-430, $"Query DEADLOCKED;the responses to this message exceed the {_maxReplyBytes}-byte output queue at unit {executed} ({Head(unit)}); output discarded, the rest of the message not executed");
                }

                if (separator == 1)
                {
                    output.WriteByte((byte)';');
                }

                output.Write(response);
            }
            catch (ScpiCommandException ex)
            {
                PushError(ex.Code, ex.Message);
                _logger.Debug("Board command {Command} failed: {Code} {Message}", Head(unit), ex.Code, ex.Message);

                // IEEE 488.2 section 6.1.10: after an error the rest of the message is discarded and no response is sent.
                return null;
            }
        }

        return output.Length == 0 ? null : output.ToArray();
    }

    public void Dispose() => _chipLock.Dispose();

    /// <summary>Adds an entry to the error queue (used by the servers for framing errors, e.g. -363 input buffer overrun).</summary>
    public void PushError(int code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);

        // SCPI-99 limits an error's text to 255 characters; it also keeps 32 entries about a 1 MiB message small.
        if (message.Length > MaxErrorTextLength)
        {
            message = message[..(MaxErrorTextLength - 3)] + "...";
        }

        lock (_errorGate)
        {
            if (_errors.Count >= ErrorQueueCapacity)
            {
                return;
            }

            _errors.Enqueue(_errors.Count == ErrorQueueCapacity - 1 ? (-350, "Queue overflow") : (code, message));
        }

        // Standard Event Status Register bits (IEEE 488.2 section 11.5.1.1): command, execution, device-dependent, query error.
        var bit = code switch
        {
            <= -100 and > -200 => 0x20,
            <= -200 and > -300 => 0x10,
            <= -300 and > -400 => 0x08,
            <= -400 and > -500 => 0x04,
            _ => 0x08,
        };
        int current;
        do
        {
            current = Volatile.Read(ref _eventStatus);
        }
        while (Interlocked.CompareExchange(ref _eventStatus, current | bit, current) != current);
    }

    private static IEnumerable<string> SplitUnits(string message)
    {
        // ';' separates program message units; quoted strings may contain it (none of our commands take strings, but be safe).
        var start = 0;
        var quoted = false;
        for (var i = 0; i < message.Length; i++)
        {
            if (message[i] == '"')
            {
                quoted = !quoted;
            }
            else if (message[i] == ';' && !quoted)
            {
                yield return message[start..i].Trim();
                start = i + 1;
            }
        }

        yield return message[start..].Trim();
    }

    private async Task<byte[]?> ExecuteUnitAsync(string unit, CancellationToken cancellationToken)
    {
        var space = unit.IndexOfAny([' ', '\t']);
        var header = space < 0 ? unit : unit[..space];
        var parameters = space < 0 ? string.Empty : unit[(space + 1)..].Trim();
        var isQuery = header.EndsWith('?');
        var path = (isQuery ? header[..^1] : header).TrimStart(':');
        if (path.Length == 0)
        {
            throw new ScpiCommandException(-102, "Syntax error");
        }

        var tokens = path.Split(':');
        foreach (var (pattern, handler) in _commands)
        {
            if (pattern.Matches(tokens, isQuery))
            {
                var request = new BoardRequest(unit, SplitParameters(parameters));
                return await handler(request, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new ScpiCommandException(-113, $"Undefined header;{header}");
    }

    private static string[] SplitParameters(string parameters) =>
        parameters.Length == 0 ? [] : parameters.Split(',').Select(p => p.Trim()).ToArray();

    private async Task<byte[]?> ResetAsync(BoardRequest request, CancellationToken cancellationToken)
    {
        request.Count(0, 0);
        Format = BoardDataFormat.Ascii;
        BigEndian = true;
        await WithChipAsync(ct => _chip.SafeStateAsync(ct), cancellationToken).ConfigureAwait(false);
        return null;
    }

    private Task<byte[]?> ClearStatus()
    {
        lock (_errorGate)
        {
            _errors.Clear();
        }

        Interlocked.Exchange(ref _eventStatus, 0);
        return None();
    }

    private async Task<byte[]?> AdvanceClockAsync(BoardRequest request, CancellationToken cancellationToken)
    {
        request.Count(1, 1);
        var seconds = request.Double(0, "seconds");
        if (seconds < 0 || seconds > 100 * 365.25 * 86400)
        {
            throw new ScpiCommandException(-222, $"Data out of range;clock advance {seconds:G6} s must be 0..3.2e9 s");
        }

        await WithChipAsync(ct => _chip.Clock.DelayAsync(TimeSpan.FromSeconds(seconds), ct), cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<byte[]?> SafeStateAsync(BoardRequest request, CancellationToken cancellationToken)
    {
        request.Count(0, 0);
        await WithChipAsync(ct => _chip.SafeStateAsync(ct), cancellationToken).ConfigureAwait(false);
        return null;
    }

    private Task<byte[]?> SetFormat(BoardRequest request, CancellationToken cancellationToken)
    {
        request.Count(1, 2);
        var type = request.Parameters[0].ToUpperInvariant();
        var bits = request.Parameters.Length == 2 ? request.Int(1, "length") : (int?)null;
        Format = (type, bits) switch
        {
            ("ASC" or "ASCII", null) => BoardDataFormat.Ascii,
            ("REAL", null or 64) => BoardDataFormat.Real64,
            ("REAL", 32) => BoardDataFormat.Real32,
            ("REAL", _) => throw new ScpiCommandException(-222, $"Data out of range;REAL length {bits} must be 32 or 64"),
            _ => throw new ScpiCommandException(-224, $"Illegal parameter value;format '{request.Parameters[0]}' is not ASCii or REAL"),
        };
        return None();
    }

    private Task<byte[]?> SetByteOrder(BoardRequest request, CancellationToken cancellationToken)
    {
        request.Count(1, 1);
        BigEndian = request.Parameters[0].ToUpperInvariant() switch
        {
            "NORM" or "NORMAL" => true,
            "SWAP" or "SWAPPED" => false,
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;byte order '{other}' is not NORMal or SWAPped"),
        };
        return None();
    }

    /// <summary>Serialises chip access and maps chip errors onto the SCPI error classes.</summary>
    private async Task WithChipAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        await _chipLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await operation(cancellationToken).ConfigureAwait(false);
        }
        catch (CellOutOfRangeException ex)
        {
            throw new ScpiCommandException(-222, $"Data out of range;{ex.Message}");
        }
        catch (SafetyLimitException ex)
        {
            throw new ScpiCommandException(-222, $"Data out of range;{ex.Message}");
        }
        catch (CapabilityNotSupportedException ex)
        {
            throw new ScpiCommandException(-241, $"Hardware missing;{ex.Message}");
        }
        catch (ArgumentException ex)
        {
            throw new ScpiCommandException(-224, $"Illegal parameter value;{ex.Message}");
        }
        catch (ChipException ex)
        {
            throw new ScpiCommandException(-200, $"Execution error;{ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.Error(ex, "Board chip operation failed");
            throw new ScpiCommandException(-300, $"Device-specific error;{ex.Message}");
        }
        finally
        {
            _chipLock.Release();
        }
    }

    private string Capabilities()
    {
        var caps = new List<string>();
        if (_chip.Supports(ChipCapabilities.VectorMatrixMultiply))
        {
            caps.Add("VMM");
        }

        if (_chip.Supports(ChipCapabilities.RequiresForming))
        {
            caps.Add("FORM");
        }

        if (_chip.Supports(ChipCapabilities.VirtualClock))
        {
            caps.Add("VCLK");
        }

        return caps.Count == 0 ? "NONE" : string.Join(',', caps);
    }

    private string NextError()
    {
        lock (_errorGate)
        {
            if (_errors.Count == 0)
            {
                return "0,\"No error\"";
            }

            var (code, message) = _errors.Dequeue();
            return $"{code.ToString(CultureInfo.InvariantCulture)},\"{message.Replace("\"", "'", StringComparison.Ordinal)}\"";
        }
    }

    private int ErrorCount()
    {
        lock (_errorGate)
        {
            return _errors.Count;
        }
    }

    /// <summary>IEEE 488.2 section 11.2: bit 2 = error/event queue not empty (SCPI EAV), bit 5 = ESB summary.</summary>
    private int StatusByte() => (ErrorCount() > 0 ? 0x04 : 0) | (Volatile.Read(ref _eventStatus) != 0 ? 0x20 : 0);

    /// <summary>A unit shortened for the error queue and the log: a 1 MiB ARR:VMM? is not worth repeating in full.</summary>
    private static string Head(string unit) => unit.Length <= 60 ? unit : unit[..60] + "...";

    /// <summary>NR3 with round-trip precision.</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>*IDN? fields may not contain the field separator (IEEE 488.2 section 4.1.3.6).</summary>
    private static string Field(string value) => value.Replace(',', ' ').Replace('\n', ' ');

    private static Task<byte[]?> Text(string reply) => Task.FromResult<byte[]?>(Encoding.ASCII.GetBytes(reply));

    private static Task<byte[]?> None() => Task.FromResult<byte[]?>(null);
}
