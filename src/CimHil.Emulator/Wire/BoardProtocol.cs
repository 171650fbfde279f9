using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Emulator.Scpi;
using Serilog;
using static CimHil.Emulator.Scpi.ScpiResponse;

namespace CimHil.Emulator.Wire;

/// <summary>
/// The CimHil board protocol (docs/protocol.md): SCPI-style commands over any byte stream, executed against any
/// <see cref="IChip"/>. One instance is the instrument: its error queue, data format and pulse counters are shared by
/// every connection, as on a real instrument. Thread-safe; chip operations are serialised.
/// </summary>
public sealed partial class BoardProtocol : IDisposable
{
    /// <summary>Error-queue depth; on overflow the newest entry becomes -350 (SCPI-99 vol. 2 section 21.8.2).</summary>
    public const int ErrorQueueCapacity = ScpiErrorQueue.Capacity;

    /// <summary>Longest error-queue text, "Description;detail" (SCPI-99 volume 2, section 21.8: at most 255 characters).</summary>
    public const int MaxErrorTextLength = ScpiErrorQueue.MaxTextLength;

    private readonly IChip _chip;
    private readonly SafetyLimits _safety;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _chipLock = new(1, 1);
    private readonly ScpiInstrument _scpi;
    private long _pulses;
    private long _formingPulses;

    /// <summary>The instrument over <paramref name="chip"/>, refusing what <paramref name="options"/> forbids (default: <see cref="BoardServerOptions.Default"/>).</summary>
    public BoardProtocol(IChip chip, ILogger logger, BoardServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        options = (options ?? BoardServerOptions.Default).Validate();
        _chip = chip;

        // The checks SafeChip makes (SafetyLimits: one safety gate for every path); operations go to the chip itself.
        _safety = options.Limits;
        _logger = logger;
        ScpiCommand[] commands =
        [
            new("SYSTem:VERSion?", (_, _) => TextTask("1999.0")),
            new("SYSTem:CLOCk?", (_, _) => TextTask(Number((chip.Clock.Now - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond))),
            new("SYSTem:CLOCk:VIRTual?", (_, _) => TextTask(chip.Clock.IsVirtual ? "1" : "0")),
            new("SYSTem:CLOCk:ADVance", AdvanceClockAsync),
            new("SYSTem:SAFE", SafeStateAsync),
            new("SYSTem:PULSe:COUNt?", (_, _) => TextTask(Interlocked.Read(ref _pulses).ToString(CultureInfo.InvariantCulture))),
            new("SYSTem:FORMing:COUNt?", (_, _) => TextTask(Interlocked.Read(ref _formingPulses).ToString(CultureInfo.InvariantCulture))),
            new("ARRay:GEOMetry?", (_, _) => TextTask($"{chip.Geometry.Rows},{chip.Geometry.Columns}")),
            new("ARRay:TECHnology?", (_, _) => TextTask(chip.Identity.Technology == DeviceTechnology.Pcm ? "PCM" : "RRAM")),
            new("ARRay:CAPabilities?", (_, _) => TextTask(Capabilities())),
            new("ARRay:VMM?", MultiplyAsync),
            new("CELL:PROGram", ProgramAsync),
            new("CELL:FORM", (r, ct) => FormAsync(r, reply: false, ct)),
            new("CELL:FORM?", (r, ct) => FormAsync(r, reply: true, ct)),
            new("CELL:READ?", ReadCellAsync),
            new("ROW:READ?", ReadRowAsync),
            new("BLK:READ?", ReadBlockAsync),
            new("FORMat[:DATA]", SetFormat),
            new("FORMat[:DATA]?", (_, _) => TextTask(Format switch { BoardDataFormat.Real64 => "REAL,64", BoardDataFormat.Real32 => "REAL,32", _ => "ASC" })),
            new("FORMat:BORDer", SetByteOrder),
            new("FORMat:BORDer?", (_, _) => TextTask(BigEndian ? "NORM" : "SWAP")),
        ];
        _scpi = new ScpiInstrument(
            new ScpiInstrumentOptions { Name = "Board", MaxReplyBytes = options.MaxReplyBytes },
            logger,
            () => $"{Field(chip.Identity.Vendor)},{Field(chip.Identity.Model)},{Field(chip.Identity.Serial)},{Field(chip.Identity.Firmware)}",
            ResetAsync,
            commands);
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
    public long CommandsExecuted => _scpi.UnitsExecuted;

    /// <summary>Encoding of bulk replies (FORM[:DATA]); ASCii after *RST.</summary>
    public BoardDataFormat Format { get; private set; } = BoardDataFormat.Ascii;

    /// <summary>FORM:BORD NORM (big-endian, the IEEE 488.2 default) when true, SWAP (little-endian) when false.</summary>
    public bool BigEndian { get; private set; } = true;

    /// <summary>
    /// Executes one program message (a line without its terminator); returns the response message, or null when
    /// it contained no query or a query failed (a failed query is answered by silence and an error-queue entry).
    /// </summary>
    public Task<byte[]?> ExecuteAsync(string message, CancellationToken cancellationToken) => _scpi.ExecuteAsync(message, cancellationToken);

    public void Dispose() => _chipLock.Dispose();

    /// <summary>Adds an entry to the error queue (used by the servers for framing errors, e.g. -363 input buffer overrun).</summary>
    public void PushError(int code, string message) => _scpi.Errors.Push(code, message);

    private async Task ResetAsync(CancellationToken cancellationToken)
    {
        Format = BoardDataFormat.Ascii;
        BigEndian = true;
        await WithChipAsync(ct => _chip.SafeStateAsync(ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ScpiResponse?> AdvanceClockAsync(ScpiRequest request, CancellationToken cancellationToken)
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

    private async Task<ScpiResponse?> SafeStateAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(0, 0);
        await WithChipAsync(ct => _chip.SafeStateAsync(ct), cancellationToken).ConfigureAwait(false);
        return null;
    }

    private Task<ScpiResponse?> SetFormat(ScpiRequest request, CancellationToken cancellationToken)
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
        return None;
    }

    private Task<ScpiResponse?> SetByteOrder(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(1, 1);
        BigEndian = request.Parameters[0].ToUpperInvariant() switch
        {
            "NORM" or "NORMAL" => true,
            "SWAP" or "SWAPPED" => false,
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;byte order '{other}' is not NORMal or SWAPped"),
        };
        return None;
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

    /// <summary>NR3 with round-trip precision.</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>*IDN? fields may not contain the field separator (IEEE 488.2 section 4.1.3.6).</summary>
    private static string Field(string value) => value.Replace(',', ' ').Replace('\n', ' ');

}
