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
/// Values above <see cref="CimHilBoardDriver.BoardMaxima"/> are refused before anything is sent. The safe state after a
/// failure (<c>SYST:SAFE</c>: DACs at 0 V, outputs off) is not sent from here: <see cref="SafeChip"/>, which wraps
/// every connected chip, sends it once per failure.
/// </summary>
public sealed class CimHilBoardChip : IChip, ISafeStateOnDispose
{
    /// <summary>The manufacturer field of every CimHil board's <c>*IDN?</c> reply (docs/protocol.md).</summary>
    public const string BoardManufacturer = "CimHil";

    private const string ProgramCountQuery = "SYST:PULS:COUN?";
    private const string FormingCountQuery = "SYST:FORM:COUN?";

    // The driver's own ceilings, checked with the same rules as the configured limits but independently of them.
    private static readonly SafetyLimits Ceiling = CimHilBoardDriver.BoardMaxima;

    private readonly ScpiSession _session;
    private readonly BoardReplyFormat _format;
    private readonly ILogger _logger;
    private PulseCounter _programCounter = new(ProgramCountQuery, null);
    private PulseCounter _formingCounter = new(FormingCountQuery, null);
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
        // Every connect query is parsed inside the session's retry scope: a garbled reply (a corrupted byte on the link)
        // is a failed attempt that is retried after a reconnect, never a value taken as the chip's identity or geometry.
        await session.ClearStatusAsync(cancellationToken).ConfigureAwait(false);
        var idn = await session.QueryParsedAsync("*IDN?", ParseIdentity, cancellationToken).ConfigureAwait(false);
        var geometry = await session.QueryParsedAsync("ARR:GEOM?", ParseGeometry, cancellationToken).ConfigureAwait(false);
        var technology = await session.QueryParsedAsync("ARR:TECH?", ParseTechnology, cancellationToken).ConfigureAwait(false);
        var capabilitiesReply = await session.QueryParsedAsync("ARR:CAP?", ParseCapabilityList, cancellationToken).ConfigureAwait(false);
        var virtualClock = await session.QueryParsedAsync("SYST:CLOC:VIRT?", ParseFlag, cancellationToken).ConfigureAwait(false);
        await session.ExecuteAsync(format == BoardReplyFormat.Real64 ? "FORM REAL,64;FORM:BORD NORM" : "FORM ASC", cancellationToken).ConfigureAwait(false);

        // The board's PULSE and FORM commands take a gate voltage (docs/protocol.md); ARR:CAP? lists only the optional features.
        var capabilities = ChipCapabilities.GateVoltage;
        foreach (var token in capabilitiesReply)
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

        // The board's pulse counters as of now: after a link failure during a pulse, a counter that moved by exactly one
        // since then says the pulse was applied, one that did not move says it was not (see PulseCounter).
        var programCounter = new PulseCounter(ProgramCountQuery, await session.QueryParsedAsync(ProgramCountQuery, PulseCounter.ParseCount, cancellationToken).ConfigureAwait(false));
        var formingCounter = new PulseCounter(FormingCountQuery, await session.QueryParsedAsync(FormingCountQuery, PulseCounter.ParseCount, cancellationToken).ConfigureAwait(false));

        var identity = new ChipIdentity(idn.Manufacturer, idn.Model, idn.SerialNumber, idn.Firmware, technology);
        logger.Information("Connected to board {Identity} on {Resource}: {Geometry}, {Capabilities}", identity.ToString(), session.Resource, geometry.ToString(), capabilities);
        return new CimHilBoardChip(session, format, logger, identity, geometry, capabilities, clock) { _programCounter = programCounter, _formingCounter = formingCounter };
    }

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        Ceiling.Check(pulse);
        var command = ProgramCommand(cell, pulse);
        await _programCounter.EnsureKnownAsync(_session, cancellationToken).ConfigureAwait(false);
        var sentAt = Clock.Now;
        try
        {
            await ExchangeAsync(() => _session.ExecuteNonIdempotentAsync(command, cancellationToken)).ConfigureAwait(false);
        }
        catch (UncertainOutcomeException ex)
        {
            var applied = await _programCounter.ResolveAsync(_session, _logger, cancellationToken).ConfigureAwait(false);
            throw new UncertainPulseException(cell, command, applied, sentAt, ex);
        }

        _programCounter.Counted();
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        Ceiling.Check(pulse);
        var query = $"CELL:FORM? {cell.Row},{cell.Column},{Num(pulse.AmplitudeV)},{Num(pulse.WidthSeconds)},{Num(pulse.ComplianceA)}"
            + (pulse.GateVoltageV is { } g ? $",{Num(g)}" : string.Empty);
        await _formingCounter.EnsureKnownAsync(_session, cancellationToken).ConfigureAwait(false);
        var sentAt = Clock.Now;
        string reply;
        try
        {
            reply = await ExchangeAsync(() => _session.QueryNonIdempotentAsync(query, cancellationToken)).ConfigureAwait(false);
        }
        catch (UncertainOutcomeException ex)
        {
            var applied = await _formingCounter.ResolveAsync(_session, _logger, cancellationToken).ConfigureAwait(false);
            throw new UncertainPulseException(cell, query, applied, sentAt, ex);
        }

        var parts = reply.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !TryNum(parts[0], out var currentA) || parts[1] is not ("0" or "1"))
        {
            // A garbled reply to a forming query: the pulse left, its verdict did not arrive intact. Not retried (it is a
            // pulse); the forming counter says whether it was applied.
            var garbled = new InstrumentProtocolException(_session.Resource, $"{_session.Resource}: reply '{reply}' to '{query}' is not <current>,<0|1>");
            var applied = await _formingCounter.ResolveAsync(_session, _logger, cancellationToken).ConfigureAwait(false);
            throw new UncertainPulseException(cell, query, applied, sentAt, garbled);
        }

        _formingCounter.Counted();

        return new FormingResult(cell, pulse, currentA, parts[1] == "1", Clock.Now);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Ceiling.CheckRead("read", readVoltageV);
        var currentA = await ExchangeAsync(() => _session.QueryDoubleAsync(ReadCommand(cell, readVoltageV), cancellationToken)).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, currentA, Clock.Now);
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);

        Ceiling.CheckRead("block read", readVoltageV);
        var query = $"BLK:READ? {block.Row},{block.Column},{block.Rows},{block.Columns},{Num(readVoltageV)}";
        var currents = await ExchangeAsync(() => BulkAsync(query, block.CellCount, cancellationToken)).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, currents, Clock.Now);
    }

    public async Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        Ceiling.CheckMultiply(this, rowVoltagesV.Span);
        var voltages = rowVoltagesV.ToArray();
        var query = "ARR:VMM? " + string.Join(',', voltages.Select(Num));
        var currents = await ExchangeAsync(() => BulkAsync(query, Geometry.Columns, cancellationToken)).ConfigureAwait(false);
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

        await SafeStateOnClose.RunAsync(SafeStateAsync, _logger, $"Board {_session.Resource}").ConfigureAwait(false);

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

    /// <summary>Runs one board exchange; a refusal by the board's own limits (-222) becomes a <see cref="SafetyLimitException"/>.</summary>
    private async Task<T> ExchangeAsync<T>(Func<Task<T>> exchange)
    {
        try
        {
            return await exchange().ConfigureAwait(false);
        }
        catch (ScpiErrorException ex) when (BoardRefusal.AsSafetyLimit(ex, _session.Resource) is { } refusal)
        {
            throw refusal;
        }
    }

    private async Task ExchangeAsync(Func<Task> exchange) =>
        await ExchangeAsync(async () =>
        {
            await exchange().ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false);

    // The connect-time parsers throw FormatException, which the session turns into a protocol error inside its retry
    // scope (QueryParsedAsync): a corrupted reply is retried like a dropped one.
    private static InstrumentIdentity ParseIdentity(string reply)
    {
        var idn = InstrumentIdentity.Parse(reply);
        if (!string.Equals(idn.Manufacturer, BoardManufacturer, StringComparison.Ordinal) || idn.Model.Length == 0 || idn.SerialNumber.Length == 0)
        {
            throw new FormatException($"*IDN? answered '{reply}', expected '{BoardManufacturer},<model>,<serial>,<firmware>' (docs/protocol.md)");
        }

        return idn;
    }

    private static ArrayGeometry ParseGeometry(string reply)
    {
        var parts = reply.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var rows) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var columns) && rows > 0 && columns > 0)
        {
            return new ArrayGeometry(rows, columns);
        }

        throw new FormatException($"ARR:GEOM? answered '{reply}', expected <rows>,<columns> (both positive)");
    }

    private static DeviceTechnology ParseTechnology(string reply) => reply.Trim().ToUpperInvariant() switch
    {
        "RRAM" => DeviceTechnology.Rram,
        "PCM" => DeviceTechnology.Pcm,
        var other => throw new FormatException($"ARR:TECH? answered '{other}', expected RRAM or PCM"),
    };

    private static string[] ParseCapabilityList(string reply)
    {
        var tokens = reply.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0 || tokens.Any(t => !t.All(char.IsAsciiLetterOrDigit)))
        {
            throw new FormatException($"ARR:CAP? answered '{reply}', expected a comma-separated list of capability names or NONE");
        }

        return tokens;
    }

    private static bool ParseFlag(string reply) => reply.Trim() switch
    {
        "1" => true,
        "0" => false,
        var other => throw new FormatException($"answered '{other}', expected 1 or 0"),
    };

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
        /// <summary>Sends of one advance that may all end uncertain before the error is raised.</summary>
        private const int MaxAdvanceAttempts = 3;

        private readonly VirtualClock _mirror = new(start);

        public DateTimeOffset Now => _mirror.Now;

        public bool IsVirtual => true;

        public async Task DelayAsync(TimeSpan duration, CancellationToken cancellationToken)
        {
            if (duration <= TimeSpan.Zero)
            {
                return;
            }

            // SYST:CLOC:ADV is not idempotent: repeated, it moves the board's clock twice. It is sent once; after an
            // uncertain outcome the board's clock (an idempotent query) says whether it moved, and only a command that
            // certainly did not arrive is sent again.
            var seconds = duration.Ticks / (double)TimeSpan.TicksPerSecond;
            var command = new StringBuilder("SYST:CLOC:ADV ").Append(Num(seconds)).ToString();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await session.ExecuteNonIdempotentAsync(command, cancellationToken).ConfigureAwait(false);
                    _mirror.Advance(duration);
                    return;
                }
                catch (UncertainOutcomeException) when (attempt < MaxAdvanceAttempts)
                {
                    var boardSeconds = await session.QueryDoubleAsync("SYST:CLOC?", cancellationToken).ConfigureAwait(false);
                    var before = (_mirror.Now - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;

                    // The board's clock is either where the mirror is (not applied) or one duration later (applied);
                    // SYST:CLOC? has 100 ns resolution, far below any wait, so the nearer of the two decides.
                    if (Math.Abs(boardSeconds - (before + seconds)) < Math.Abs(boardSeconds - before))
                    {
                        _mirror.Advance(duration);
                        return;
                    }
                }
            }
        }
    }
}
