using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Instruments;
using CimHil.Instruments.Scpi;
using Serilog;

namespace CimHil.Drivers.CimHilBoard;

/// <summary>
/// A chip behind a CimHil board: every <see cref="IChip"/> operation is one board command (docs/protocol.md).
/// Values above <see cref="CimHilBoardDriver.BoardMaxima"/> are refused before anything is sent; after any failure
/// the board is asked for its safe state (<c>SYST:SAFE</c>: DACs at 0 V, outputs off).
/// </summary>
public sealed class CimHilBoardChip : IChip
{
    private readonly ScpiSession _session;
    private readonly BoardReplyFormat _format;
    private readonly ILogger _logger;
    private readonly SafeChip _ceiling;
    private int _disposed;

    private CimHilBoardChip(ScpiSession session, BoardReplyFormat format, ILogger logger, ChipIdentity identity, ArrayGeometry geometry, ChipCapabilities capabilities, IChipClock clock)
    {
        _session = session;
        _format = format;
        _logger = logger;
        Identity = identity;
        Geometry = geometry;
        Capabilities = capabilities;
        Clock = clock;

        // The driver's own ceilings, checked with the same rules as the configured limits (SafeChip) but independently of them.
        _ceiling = new SafeChip(this, CimHilBoardDriver.BoardMaxima);
    }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; }

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock { get; }

    /// <summary>The SCPI session to the board (for diagnostics).</summary>
    public ScpiSession Session => _session;

    /// <summary>Queries identity, geometry, technology, capabilities and clock, and selects the bulk reply format.</summary>
    public static async Task<CimHilBoardChip> OpenAsync(ScpiSession session, BoardReplyFormat format, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(logger);

        // *CLS first so an error left by an earlier client is not blamed on our first command (IEEE 488.2 section 10.3).
        await session.ClearStatusAsync(cancellationToken).ConfigureAwait(false);
        var idn = await session.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var geometryReply = await session.QueryAsync("ARR:GEOM?", cancellationToken).ConfigureAwait(false);
        var technologyReply = await session.QueryAsync("ARR:TECH?", cancellationToken).ConfigureAwait(false);
        var capabilitiesReply = await session.QueryAsync("ARR:CAP?", cancellationToken).ConfigureAwait(false);
        var virtualClock = (await session.QueryAsync("SYST:CLOC:VIRT?", cancellationToken).ConfigureAwait(false)).Trim() == "1";
        await session.ExecuteAsync(format == BoardReplyFormat.Real64 ? "FORM REAL,64;FORM:BORD NORM" : "FORM ASC", cancellationToken).ConfigureAwait(false);

        var geometry = ParseGeometry(session.Resource, geometryReply);
        var technology = technologyReply.Trim().ToUpperInvariant() switch
        {
            "RRAM" => DeviceTechnology.Rram,
            "PCM" => DeviceTechnology.Pcm,
            var other => throw new InstrumentProtocolException(session.Resource, $"{session.Resource}: ARR:TECH? answered '{other}', expected RRAM or PCM"),
        };
        // The board's PULSE and FORM commands take a gate voltage (docs/protocol.md); ARR:CAP? lists only the optional features.
        var capabilities = ChipCapabilities.GateVoltage;
        foreach (var token in capabilitiesReply.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            capabilities |= token.ToUpperInvariant() switch
            {
                "VMM" => ChipCapabilities.VectorMatrixMultiply,
                "FORM" => ChipCapabilities.RequiresForming,
                "VCLK" => ChipCapabilities.VirtualClock,
                _ => ChipCapabilities.None,
            };
        }

        IChipClock clock = WallClock.Instance;
        if (virtualClock)
        {
            var seconds = await session.QueryDoubleAsync("SYST:CLOC?", cancellationToken).ConfigureAwait(false);
            clock = new BoardVirtualClock(session, DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)));
        }

        var identity = new ChipIdentity(idn.Manufacturer, idn.Model, idn.SerialNumber, idn.Firmware, technology);
        logger.Information("Connected to board {Identity} on {Resource}: {Geometry}, {Capabilities}", identity.ToString(), session.Resource, geometry.ToString(), capabilities);
        return new CimHilBoardChip(session, format, logger, identity, geometry, capabilities, clock);
    }

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        _ceiling.Check(pulse);
        var command = ProgramCommand(cell, pulse);
        await GuardAsync(() => _session.ExecuteNonIdempotentAsync(command, cancellationToken)).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        _ceiling.Check(pulse);
        var query = $"CELL:FORM? {cell.Row},{cell.Column},{Num(pulse.AmplitudeV)},{Num(pulse.WidthSeconds)},{Num(pulse.ComplianceA)}"
            + (pulse.GateVoltageV is { } g ? $",{Num(g)}" : string.Empty);
        var reply = await GuardAsync(() => _session.QueryNonIdempotentAsync(query, cancellationToken)).ConfigureAwait(false);
        var parts = reply.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !TryNum(parts[0], out var currentA) || parts[1] is not ("0" or "1"))
        {
            throw new InstrumentProtocolException(_session.Resource, $"{_session.Resource}: reply '{reply}' to '{query}' is not <current>,<0|1>");
        }

        return new FormingResult(cell, pulse, currentA, parts[1] == "1", Clock.Now);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        _ceiling.CheckRead("read", readVoltageV);
        var currentA = await GuardAsync(() => _session.QueryDoubleAsync(ReadCommand(cell, readVoltageV), cancellationToken)).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, currentA, Clock.Now);
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);

        _ceiling.CheckRead("block read", readVoltageV);
        var query = $"BLK:READ? {block.Row},{block.Column},{block.Rows},{block.Columns},{Num(readVoltageV)}";
        var currents = await GuardAsync(() => BulkAsync(query, block.CellCount, cancellationToken)).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, currents, Clock.Now);
    }

    public async Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        if ((Capabilities & ChipCapabilities.VectorMatrixMultiply) == 0)
        {
            throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);
        }

        if (rowVoltagesV.Length != Geometry.Rows)
        {
            throw new ArgumentException($"vector-matrix multiply needs {Geometry.Rows} row voltages, got {rowVoltagesV.Length}", nameof(rowVoltagesV));
        }

        var voltages = rowVoltagesV.ToArray();
        for (var i = 0; i < voltages.Length; i++)
        {
            if (!double.IsFinite(voltages[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(rowVoltagesV), $"row {i} voltage {voltages[i]} is not a finite number");
            }

            if (Math.Abs(voltages[i]) > CimHilBoardDriver.BoardMaxima.MaxReadVoltageV)
            {
                throw new SafetyLimitException("vector-matrix multiply", $"|row {i} voltage|", Math.Abs(voltages[i]), CimHilBoardDriver.BoardMaxima.MaxReadVoltageV, "V");
            }
        }

        var query = "ARR:VMM? " + string.Join(',', voltages.Select(Num));
        var currents = await GuardAsync(() => BulkAsync(query, Geometry.Columns, cancellationToken)).ConfigureAwait(false);
        return new VmmResult([.. voltages], currents, Clock.Now);
    }

    /// <summary><c>SYST:SAFE</c>: every DAC to 0 V, every output off (docs/protocol.md).</summary>
    public Task SafeStateAsync(CancellationToken cancellationToken) => _session.ExecuteAsync("SYST:SAFE", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.Error(ex, "Board {Resource} did not confirm its safe state on close", _session.Resource);
        }

        await _session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The exact program message for a pulse: <c>CELL:PROG row,col,SET|RES,amplitude,width,gate|DEF,compliance|DEF</c>.</summary>
    public static string ProgramCommand(CellAddress cell, ProgramPulse pulse)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        var polarity = pulse.Polarity == PulsePolarity.Set ? "SET" : "RES";
        var gate = pulse.GateVoltageV is { } g ? Num(g) : "DEF";
        var compliance = pulse.ComplianceA is { } i ? Num(i) : "DEF";
        return $"CELL:PROG {cell.Row},{cell.Column},{polarity},{Num(pulse.AmplitudeV)},{Num(pulse.WidthSeconds)},{gate},{compliance}";
    }

    /// <summary>The exact query for a single-cell read: <c>CELL:READ? row,col,voltage</c>.</summary>
    public static string ReadCommand(CellAddress cell, double readVoltageV) => $"CELL:READ? {cell.Row},{cell.Column},{Num(readVoltageV)}";

    private async Task<ImmutableArray<double>> BulkAsync(string query, int expected, CancellationToken cancellationToken)
    {
        double[] values;
        if (_format == BoardReplyFormat.Real64)
        {
            var payload = await _session.QueryBlockAsync(query, cancellationToken).ConfigureAwait(false);
            if (payload.Length != expected * 8)
            {
                throw new InstrumentProtocolException(_session.Resource, $"{_session.Resource}: '{Head(query)}' returned {payload.Length} bytes, expected {expected} float64 values");
            }

            values = BinaryBlock.DecodeDoubles(payload, bigEndian: true);
        }
        else
        {
            var reply = await _session.QueryAsync(query, cancellationToken).ConfigureAwait(false);
            var parts = reply.Split(',', StringSplitOptions.TrimEntries);
            values = new double[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!TryNum(parts[i], out values[i]))
                {
                    throw new InstrumentProtocolException(_session.Resource, $"{_session.Resource}: value {i} '{parts[i]}' of the reply to '{Head(query)}' is not a number");
                }
            }

            if (values.Length != expected)
            {
                throw new InstrumentProtocolException(_session.Resource, $"{_session.Resource}: '{Head(query)}' returned {values.Length} values, expected {expected}");
            }
        }

        return ImmutableArray.Create(values);
    }

    /// <summary>Runs one board exchange; on any failure asks for the safe state before the error propagates.</summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> exchange)
    {
        try
        {
            return await exchange().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await TrySafeStateAsync(ex).ConfigureAwait(false);
            if (ex is ScpiErrorException scpi && BoardRefusal.AsSafetyLimit(scpi, _session.Resource) is { } refusal)
            {
                throw refusal;
            }

            throw;
        }
    }

    private async Task GuardAsync(Func<Task> exchange) =>
        await GuardAsync(async () =>
        {
            await exchange().ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false);

    private async Task TrySafeStateAsync(Exception cause)
    {
        try
        {
            await SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.Error(ex, "Board {Resource}: safe state after {Error} failed too", _session.Resource, cause.Message);
        }
    }

    private static ArrayGeometry ParseGeometry(string resource, string reply)
    {
        var parts = reply.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var rows) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var columns) && rows > 0 && columns > 0)
        {
            return new ArrayGeometry(rows, columns);
        }

        throw new InstrumentProtocolException(resource, $"{resource}: ARR:GEOM? answered '{reply}', expected <rows>,<columns>");
    }

    private static string Head(string query) => query.Length <= 40 ? query : query[..40] + "…";

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static bool TryNum(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>
    /// The board's virtual clock mirrored locally: the board's clock moves only when told to (SYST:CLOC:ADV), so a mirror
    /// set once from SYST:CLOC? and advanced with every delay stays equal to it without a query per timestamp.
    /// </summary>
    private sealed class BoardVirtualClock(ScpiSession session, DateTimeOffset start) : IChipClock
    {
        private readonly VirtualClock _mirror = new(start);

        public DateTimeOffset Now => _mirror.Now;

        public bool IsVirtual => true;

        public async Task DelayAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            if (duration <= TimeSpan.Zero)
            {
                return;
            }

            var seconds = duration.Ticks / (double)TimeSpan.TicksPerSecond;
            await session.ExecuteAsync(new StringBuilder("SYST:CLOC:ADV ").Append(Num(seconds)).ToString(), cancellationToken).ConfigureAwait(false);
            _mirror.Advance(duration);
        }
    }
}
