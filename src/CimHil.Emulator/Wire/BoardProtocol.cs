using System.Buffers.Binary;
using System.Collections.Immutable;
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
public sealed class BoardProtocol : IDisposable
{
    /// <summary>Error-queue depth; on overflow the newest entry becomes -350 (SCPI-99 vol. 2 section 21.8.2).</summary>
    public const int ErrorQueueCapacity = 32;

    private readonly IChip _chip;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _chipLock = new(1, 1);
    private readonly Lock _errorGate = new();
    private readonly Queue<(int Code, string Message)> _errors = new();
    private readonly (ScpiHeader Header, Func<Request, CancellationToken, Task<byte[]?>> Handler)[] _commands;
    private long _pulses;
    private long _formingPulses;
    private long _commandsExecuted;
    private int _eventStatus;

    public BoardProtocol(IChip chip, ILogger logger)
    {
        _chip = chip;
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
        var responses = new List<byte[]>();
        foreach (var unit in SplitUnits(message))
        {
            if (unit.Length == 0)
            {
                continue;
            }

            Interlocked.Increment(ref _commandsExecuted);
            try
            {
                var response = await ExecuteUnitAsync(unit, cancellationToken).ConfigureAwait(false);
                if (response is not null)
                {
                    responses.Add(response);
                }
            }
            catch (ScpiCommandException ex)
            {
                PushError(ex.Code, ex.Message);
                _logger.Debug("Board command {Command} failed: {Code} {Message}", unit, ex.Code, ex.Message);

                // IEEE 488.2 section 6.1.10: after an error the rest of the message is discarded and no response is sent.
                return null;
            }
        }

        if (responses.Count == 0)
        {
            return null;
        }

        if (responses.Count == 1)
        {
            return responses[0];
        }

        // Several queries in one message: responses separated by ';' (IEEE 488.2 section 8.4.1).
        var joined = new List<byte>();
        for (var i = 0; i < responses.Count; i++)
        {
            if (i > 0)
            {
                joined.Add((byte)';');
            }

            joined.AddRange(responses[i]);
        }

        return [.. joined];
    }

    public void Dispose() => _chipLock.Dispose();

    /// <summary>Adds an entry to the error queue (used by the servers for framing errors, e.g. -363 input buffer overrun).</summary>
    public void PushError(int code, string message)
    {
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
                var request = new Request(unit, SplitParameters(parameters));
                return await handler(request, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new ScpiCommandException(-113, $"Undefined header;{header}");
    }

    private static string[] SplitParameters(string parameters) =>
        parameters.Length == 0 ? [] : parameters.Split(',').Select(p => p.Trim()).ToArray();

    private async Task<byte[]?> ResetAsync(Request request, CancellationToken cancellationToken)
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

    private async Task<byte[]?> AdvanceClockAsync(Request request, CancellationToken cancellationToken)
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

    private async Task<byte[]?> SafeStateAsync(Request request, CancellationToken cancellationToken)
    {
        request.Count(0, 0);
        await WithChipAsync(ct => _chip.SafeStateAsync(ct), cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<byte[]?> ProgramAsync(Request request, CancellationToken cancellationToken)
    {
        request.Count(5, 7);
        var cell = Cell(request, 0);
        var polarity = request.Parameters[2].ToUpperInvariant() switch
        {
            "SET" => PulsePolarity.Set,
            "RES" or "RESET" => PulsePolarity.Reset,
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;polarity '{other}' is not SET or RESet"),
        };
        var pulse = new ProgramPulse
        {
            Polarity = polarity,
            AmplitudeV = Positive(request, 3, "amplitude V"),
            WidthSeconds = Positive(request, 4, "width s"),
            GateVoltageV = request.OptionalDouble(5, "gate V"),
            ComplianceA = request.OptionalDouble(6, "compliance A"),
        };
        await WithChipAsync(
            async ct =>
            {
                await _chip.ApplyPulseAsync(cell, pulse, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _pulses);
            },
            cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<byte[]?> FormAsync(Request request, bool reply, CancellationToken cancellationToken)
    {
        request.Count(5, 6);
        var cell = Cell(request, 0);
        var pulse = new FormingPulse
        {
            AmplitudeV = Positive(request, 2, "amplitude V"),
            WidthSeconds = Positive(request, 3, "width s"),
            ComplianceA = Positive(request, 4, "compliance A"),
            GateVoltageV = request.OptionalDouble(5, "gate V"),
        };
        FormingResult? result = null;
        await WithChipAsync(
            async ct =>
            {
                result = await _chip.FormAsync(cell, pulse, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _formingPulses);
            },
            cancellationToken).ConfigureAwait(false);
        return reply ? Encoding.ASCII.GetBytes($"{Number(result!.CurrentA)},{(result.Formed ? 1 : 0)}") : null;
    }

    private async Task<byte[]?> ReadCellAsync(Request request, CancellationToken cancellationToken)
    {
        request.Count(3, 3);
        var cell = Cell(request, 0);
        var readV = Positive(request, 2, "read voltage V");
        ReadResult? result = null;
        await WithChipAsync(async ct => result = await _chip.ReadCellAsync(cell, readV, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return Encoding.ASCII.GetBytes(Number(result!.CurrentA));
    }

    private Task<byte[]?> ReadRowAsync(Request request, CancellationToken cancellationToken)
    {
        request.Count(2, 2);
        var row = request.Int(0, "row");
        if (row < 0 || row >= _chip.Geometry.Rows)
        {
            throw new ScpiCommandException(-222, $"Data out of range;row {row} is outside 0..{_chip.Geometry.Rows - 1}");
        }

        return ReadBlockCoreAsync(CellBlock.SingleRow(row, _chip.Geometry.Columns), Positive(request, 1, "read voltage V"), cancellationToken);
    }

    private Task<byte[]?> ReadBlockAsync(Request request, CancellationToken cancellationToken)
    {
        request.Count(5, 5);
        var r = request.Int(0, "row");
        var c = request.Int(1, "column");
        var rows = request.Int(2, "rows");
        var cols = request.Int(3, "columns");
        if (r < 0 || c < 0 || rows < 1 || cols < 1 || r + rows > _chip.Geometry.Rows || c + cols > _chip.Geometry.Columns)
        {
            throw new ScpiCommandException(-222, $"Data out of range;block [{r}+{rows}, {c}+{cols}] is outside the {_chip.Geometry} array");
        }

        return ReadBlockCoreAsync(new CellBlock(r, c, rows, cols), Positive(request, 4, "read voltage V"), cancellationToken);
    }

    private async Task<byte[]?> ReadBlockCoreAsync(CellBlock block, double readV, CancellationToken cancellationToken)
    {
        BlockReadResult? result = null;
        await WithChipAsync(async ct => result = await _chip.ReadBlockAsync(block, readV, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return Bulk(result!.CurrentsA);
    }

    private async Task<byte[]?> MultiplyAsync(Request request, CancellationToken cancellationToken)
    {
        if (request.Parameters.Length == 0)
        {
            throw new ScpiCommandException(-109, "Missing parameter;ARR:VMM? needs one voltage per row");
        }

        if (request.Parameters.Length != _chip.Geometry.Rows)
        {
            throw new ScpiCommandException(-222, $"Data out of range;ARR:VMM? got {request.Parameters.Length} voltages for {_chip.Geometry.Rows} rows");
        }

        var voltages = new double[request.Parameters.Length];
        for (var i = 0; i < voltages.Length; i++)
        {
            voltages[i] = request.Double(i, $"row {i} voltage V");
        }

        VmmResult? result = null;
        await WithChipAsync(async ct => result = await _chip.MultiplyAsync(voltages, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return Bulk(result!.ColumnCurrentsA);
    }

    private Task<byte[]?> SetFormat(Request request, CancellationToken cancellationToken)
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

    private Task<byte[]?> SetByteOrder(Request request, CancellationToken cancellationToken)
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

    private CellAddress Cell(Request request, int index)
    {
        var cell = new CellAddress(request.Int(index, "row"), request.Int(index + 1, "column"));
        if (!_chip.Geometry.Contains(cell))
        {
            throw new ScpiCommandException(-222, $"Data out of range;cell {cell} is outside the {_chip.Geometry} array");
        }

        return cell;
    }

    private static double Positive(Request request, int index, string what)
    {
        var value = request.Double(index, what);
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ScpiCommandException(-222, $"Data out of range;{what} {value:G6} must be positive");
        }

        return value;
    }

    private byte[] Bulk(ImmutableArray<double> values)
    {
        switch (Format)
        {
            case BoardDataFormat.Real64:
                {
                    var payload = new byte[values.Length * 8];
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (BigEndian)
                        {
                            BinaryPrimitives.WriteDoubleBigEndian(payload.AsSpan(i * 8), values[i]);
                        }
                        else
                        {
                            BinaryPrimitives.WriteDoubleLittleEndian(payload.AsSpan(i * 8), values[i]);
                        }
                    }

                    return Block(payload);
                }

            case BoardDataFormat.Real32:
                {
                    var payload = new byte[values.Length * 4];
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (BigEndian)
                        {
                            BinaryPrimitives.WriteSingleBigEndian(payload.AsSpan(i * 4), (float)values[i]);
                        }
                        else
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(i * 4), (float)values[i]);
                        }
                    }

                    return Block(payload);
                }

            default:
                return Encoding.ASCII.GetBytes(string.Join(',', values.Select(Number)));
        }
    }

    /// <summary>IEEE 488.2 section 8.7.9 definite-length arbitrary block: #, digit count, length, bytes.</summary>
    private static byte[] Block(byte[] payload)
    {
        var length = payload.Length.ToString(CultureInfo.InvariantCulture);
        var header = Encoding.ASCII.GetBytes($"#{length.Length}{length}");
        var result = new byte[header.Length + payload.Length];
        header.CopyTo(result, 0);
        payload.CopyTo(result, header.Length);
        return result;
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

    /// <summary>NR3 with round-trip precision.</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>*IDN? fields may not contain the field separator (IEEE 488.2 section 4.1.3.6).</summary>
    private static string Field(string value) => value.Replace(',', ' ').Replace('\n', ' ');

    private static Task<byte[]?> Text(string reply) => Task.FromResult<byte[]?>(Encoding.ASCII.GetBytes(reply));

    private static Task<byte[]?> None() => Task.FromResult<byte[]?>(null);

    /// <summary>One parsed program message unit.</summary>
    private sealed record Request(string Unit, string[] Parameters)
    {
        public void Count(int min, int max)
        {
            if (Parameters.Length < min)
            {
                throw new ScpiCommandException(-109, $"Missing parameter;{Unit} needs {min} parameters, got {Parameters.Length}");
            }

            if (Parameters.Length > max)
            {
                throw new ScpiCommandException(-108, $"Parameter not allowed;{Unit} takes at most {max} parameters, got {Parameters.Length}");
            }

            if (Parameters.Any(p => p.Length == 0))
            {
                throw new ScpiCommandException(-109, $"Missing parameter;{Unit} has an empty parameter");
            }
        }

        public int Int(int index, string what)
        {
            if (index >= Parameters.Length)
            {
                throw new ScpiCommandException(-109, $"Missing parameter;{what}");
            }

            if (!int.TryParse(Parameters[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                throw new ScpiCommandException(-104, $"Data type error;{what} '{Parameters[index]}' is not an integer");
            }

            return value;
        }

        public double Double(int index, string what)
        {
            if (index >= Parameters.Length)
            {
                throw new ScpiCommandException(-109, $"Missing parameter;{what}");
            }

            if (!double.TryParse(Parameters[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw new ScpiCommandException(-104, $"Data type error;{what} '{Parameters[index]}' is not a number");
            }

            return value;
        }

        /// <summary>Absent or <c>DEF</c> (SCPI DEFault) means "use the chip's default".</summary>
        public double? OptionalDouble(int index, string what) =>
            index >= Parameters.Length || Parameters[index].Equals("DEF", StringComparison.OrdinalIgnoreCase) || Parameters[index].Equals("DEFAULT", StringComparison.OrdinalIgnoreCase)
                ? null
                : Double(index, what);
    }
}

/// <summary>A command failed with a SCPI error code; the message is the error-queue text ("Description;detail").</summary>
internal sealed class ScpiCommandException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
