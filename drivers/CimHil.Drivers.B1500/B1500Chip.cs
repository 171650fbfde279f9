using System.Collections.Immutable;
using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Instruments;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Wgfmu;
using Serilog;

namespace CimHil.Drivers.B1500;

/// <summary>
/// The WGFMU's current measurement ranges, which this driver also uses as the current limit: the WGFMU has no compliance,
/// so the driver picks the largest range whose full scale does not exceed the requested limit (the measured current, and in
/// the emulator the cell current, then clips there; on real hardware a series resistor or 1T1R gate must limit the cell).
/// </summary>
public static class WgfmuRanges
{
    /// <summary>Full scales of WGFMU_MEASURE_CURRENT_RANGE_1UA … 10MA (B1530A user's guide, measurement ranges).</summary>
    public static IReadOnlyList<(WgfmuMeasureCurrentRange Range, double FullScaleA)> All { get; } =
    [
        (WgfmuMeasureCurrentRange.Range1uA, 1e-6),
        (WgfmuMeasureCurrentRange.Range10uA, 10e-6),
        (WgfmuMeasureCurrentRange.Range100uA, 100e-6),
        (WgfmuMeasureCurrentRange.Range1mA, 1e-3),
        (WgfmuMeasureCurrentRange.Range10mA, 10e-3),
    ];

    public static double SmallestA => All[0].FullScaleA;

    /// <summary>The largest range whose full scale is at most <paramref name="limitA"/> (with 1 ppm slack for decimal input).</summary>
    public static (WgfmuMeasureCurrentRange Range, double FullScaleA) ForLimit(double limitA)
    {
        for (var i = All.Count - 1; i >= 0; i--)
        {
            if (All[i].FullScaleA <= limitA * (1 + 1e-6))
            {
                return All[i];
            }
        }

        throw new UnsupportedOperationException(
            $"b1500: a current limit of {limitA.ToString("G6", CultureInfo.InvariantCulture)} A is below the WGFMU's smallest range ({SmallestA.ToString("G6", CultureInfo.InvariantCulture)} A), which is how this driver limits current");
    }

    /// <summary>The force voltage range that holds every level in [<paramref name="lowV"/>, <paramref name="highV"/>].</summary>
    public static WgfmuForceVoltageRange ForceRange(double lowV, double highV) =>
        Math.Max(Math.Abs(lowV), Math.Abs(highV)) switch
        {
            <= 3 => WgfmuForceVoltageRange.Range3V,
            <= 5 => WgfmuForceVoltageRange.Range5V,
            _ => lowV >= 0 ? WgfmuForceVoltageRange.Range10VPositive : WgfmuForceVoltageRange.Range10VNegative,
        };
}

/// <summary>
/// A chip on a Keysight B1500A with a B1530A WGFMU, reached cell by cell through a Keithley 707B matrix. The mainframe is
/// only identified and disabled (FLEX <c>UNT?</c>, <c>CL</c>, errors through <c>ERRX?</c>); the waveforms are WGFMU patterns:
/// a pulse is 0 V → amplitude in <see cref="RampSeconds"/>, a flat top, and back (its full width at half maximum is the
/// pulse width), played on channel 1 (HI row, word line) while channel 2 (LO row, bit line) holds 0 V and, for forming and
/// reads, samples the current. Relays are only switched with the WGFMU outputs at 0 V and disconnected; after every
/// operation both channels are disconnected, and on any failure the WGFMU is initialised (0 V), the mainframe disabled
/// (<c>CL</c>) and the matrix opened. One WGFMU cannot drive rows in parallel, so vector-matrix multiply is not supported.
/// </summary>
public sealed class B1500Chip : IChip
{
    /// <summary>Transition time of every edge; a conservative slew for the Fast IV mode on its 10 V range.</summary>
    public const double RampSeconds = 100e-9;

    /// <summary>Settling after the read edge before the current is sampled.</summary>
    public const double ReadSettleSeconds = 1e-6;

    /// <summary>Averaging window of one current sample (reads and the end of a forming pulse).</summary>
    public const double AverageSeconds = 10e-6;

    /// <summary>A forming pulse counts as successful when the current at its end reaches this fraction of the current limit.</summary>
    public const double FormedLimitFraction = 0.9;

    private readonly ScpiSession _mainframe;
    private readonly IWgfmu _wgfmu;
    private readonly MatrixRouter _router;
    private readonly B1500Settings _settings;
    private readonly double _readComplianceA;
    private readonly ILogger _logger;
    private readonly SafetyLimits _ceiling = B1500Driver.SetupMaxima;
    private readonly SafeOperationGate _gate;
    private int _disposed;

    private B1500Chip(ScpiSession mainframe, IWgfmu wgfmu, Keithley707B matrix, B1500Settings settings, ChipIdentity identity, ILogger logger)
    {
        _mainframe = mainframe;
        _wgfmu = wgfmu;
        _router = new MatrixRouter(matrix, settings.Wiring, settings.Rows, settings.Columns);
        _settings = settings;
        _readComplianceA = settings.ReadComplianceA ?? B1500Driver.SetupMaxima.MaxComplianceA;
        _logger = logger;
        _gate = new SafeOperationGate(SafeStateAsync, logger, "B1500 bench");
        Identity = identity;
        Geometry = new ArrayGeometry(settings.Rows, settings.Columns);
        Capabilities = settings.Technology == DeviceTechnology.Rram ? ChipCapabilities.RequiresForming : ChipCapabilities.None;
        HiChannel = (settings.WgfmuSlot * 100) + 1;
        LoChannel = (settings.WgfmuSlot * 100) + 2;
    }

    /// <summary>WGFMU channel on the matrix HI row (plays the pulse).</summary>
    public int HiChannel { get; }

    /// <summary>WGFMU channel on the matrix LO row (holds 0 V, samples the current).</summary>
    public int LoChannel { get; }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; }

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock => WallClock.Instance;

    /// <summary>
    /// Identifies the mainframe and checks that a B1530A sits in the configured slot (<c>UNT?</c>), disables every channel
    /// (<c>CL</c>), opens the WGFMU session and checks both channels, initialises them (0 V) in Fast IV mode, and opens the matrix.
    /// </summary>
    public static async Task<B1500Chip> OpenAsync(ScpiSession mainframe, IWgfmu wgfmu, ScpiSession matrix, B1500Settings settings, double timeoutSeconds, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mainframe);
        ArgumentNullException.ThrowIfNull(wgfmu);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var id = await mainframe.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var modules = await mainframe.QueryAsync("UNT?", cancellationToken).ConfigureAwait(false);
        var slots = modules.Split(';');
        var module = settings.WgfmuSlot <= slots.Length ? slots[settings.WgfmuSlot - 1].Split(',')[0].Trim() : "";
        if (!module.StartsWith("B1530", StringComparison.OrdinalIgnoreCase))
        {
            throw new InstrumentException(mainframe.Resource,
                $"{mainframe.Resource}: slot {settings.WgfmuSlot} holds '{(module is "" or "0" ? "nothing" : module)}', not a B1530A WGFMU (UNT? answered '{modules}'); fix chip.settings.wgfmuSlot");
        }

        await mainframe.ExecuteAsync(DisableAllCommand, cancellationToken).ConfigureAwait(false);
        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(id.Manufacturer, $"{id.Model} + B1530A (slot {settings.WgfmuSlot}) + {matrixId.Model.Trim()}", id.SerialNumber, id.Firmware, settings.Technology);
        var chip = new B1500Chip(mainframe, wgfmu, new Keithley707B(matrix), settings, identity, logger);
        await Task.Run(
            () =>
            {
                wgfmu.OpenSession(settings.WgfmuAddress ?? mainframe.Resource);
                var channels = wgfmu.GetChannelIds();
                foreach (var ch in new[] { chip.HiChannel, chip.LoChannel })
                {
                    if (!channels.Contains(ch))
                    {
                        throw new InstrumentException(settings.WgfmuAddress ?? mainframe.Resource,
                            $"WGFMU channel {ch} is not installed (the library reports {string.Join(", ", channels)}); fix chip.settings.wgfmuSlot");
                    }
                }

                wgfmu.SetTimeout(timeoutSeconds);
                wgfmu.Initialize();
                wgfmu.SetOperationMode(chip.HiChannel, WgfmuOperationMode.FastIv);
                wgfmu.SetOperationMode(chip.LoChannel, WgfmuOperationMode.FastIv);
                wgfmu.SetMeasureMode(chip.LoChannel, WgfmuMeasureMode.Current);
            },
            cancellationToken).ConfigureAwait(false);
        await chip._router.Matrix.ClearErrorsAsync(cancellationToken).ConfigureAwait(false);
        await chip._router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("B1500 {Model} on {Resource} with its WGFMU in slot {Slot} and {Matrix} on {MatrixResource}: {Geometry} {Technology} array", id.Model, mainframe.Resource, settings.WgfmuSlot, matrixId.Model, matrix.Resource, chip.Geometry.ToString(), settings.Technology);
        return chip;
    }

    /// <summary>FLEX: disable every channel of the mainframe (outputs off, relays open).</summary>
    public const string DisableAllCommand = "CL";

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        RequireNoGate(pulse.GateVoltageV);
        _ceiling.Check(pulse);
        var limit = WgfmuRanges.ForLimit(pulse.ComplianceA ?? _readComplianceA);
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await _gate.RunAsync(
            async ct =>
            {
                await PlayAsync(cell, levelV, pulse.WidthSeconds, limit.Range, measure: false, ct).ConfigureAwait(false);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        RequireNoGate(pulse.GateVoltageV);
        _ceiling.Check(pulse);
        var limit = WgfmuRanges.ForLimit(pulse.ComplianceA);
        var currentA = await _gate.RunAsync(ct => PlayAsync(cell, pulse.AmplitudeV, pulse.WidthSeconds, limit.Range, measure: true, ct), cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedLimitFraction * limit.FullScaleA, Clock.Now);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        _ceiling.CheckRead("read", readVoltageV);
        var values = await _gate.RunAsync(ct => ReadCellsAsync([cell], readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, values[0], Clock.Now);
    }

    /// <summary>Cell by cell in row-major order: the read patterns are loaded once, then the matrix routes each cell and the sequence replays.</summary>
    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);

        _ceiling.CheckRead("block read", readVoltageV);
        var values = await _gate.RunAsync(ct => ReadCellsAsync([.. block.Cells()], readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, ImmutableArray.Create(values), Clock.Now);
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) =>
        throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);

    /// <summary>WGFMU initialised (0 V) with both relays open, the mainframe's channels disabled (<c>CL</c>), then every crosspoint open.</summary>
    public async Task SafeStateAsync(CancellationToken cancellationToken)
    {
        var errors = new List<Exception>();
        try
        {
            await Task.Run(
                () =>
                {
                    _wgfmu.Initialize();
                    _wgfmu.Disconnect(HiChannel);
                    _wgfmu.Disconnect(LoChannel);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors.Add(ex);
        }

        try
        {
            await _mainframe.ExecuteAsync(DisableAllCommand, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors.Add(ex);
        }

        try
        {
            await _router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors.Add(ex);
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("the B1500 bench did not confirm its safe state (WGFMU 0 V and disconnected, CL, matrix open)", errors);
        }
    }

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
            _logger.Error(ex, "B1500 bench did not confirm its safe state on close");
        }

        try
        {
            _wgfmu.CloseSession();
        }
        catch (InstrumentException ex)
        {
            _logger.Warning(ex, "WGFMU session did not close cleanly");
        }

        _wgfmu.Dispose();
        await _mainframe.DisposeAsync().ConfigureAwait(false);
        await _router.Matrix.Session.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>
    /// The pulse waveform on channel 1 (0 V, ramp, flat top, ramp, 0 V; FWHM = <paramref name="widthSeconds"/>) and 0 V on
    /// channel 2 for the same time; with <paramref name="measure"/> channel 2 samples the current at the end of the flat top.
    /// Returns the cell current (A, positive from word line to bit line), or 0 without a measurement.
    /// </summary>
    private async Task<double> PlayAsync(CellAddress cell, double levelV, double widthSeconds, WgfmuMeasureCurrentRange range, bool measure, CancellationToken cancellationToken)
    {
        var flat = widthSeconds - RampSeconds;
        var average = Math.Min(AverageSeconds, flat / 2);
        await LoadAsync(PulsePattern, levelV, flat, range, measure ? RampSeconds + flat - average : null, average, cancellationToken).ConfigureAwait(false);
        var currents = await PlayEachAsync([cell], measure, cancellationToken).ConfigureAwait(false);
        return currents[0];
    }

    /// <summary>Loads the read waveform once (ramp to the read voltage, settle, one averaged current sample, ramp down) and plays it per cell.</summary>
    private async Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken)
    {
        var range = WgfmuRanges.ForLimit(_readComplianceA).Range;
        await LoadAsync(ReadPattern, readVoltageV, ReadSettleSeconds + AverageSeconds, range, RampSeconds + ReadSettleSeconds, AverageSeconds, cancellationToken).ConfigureAwait(false);
        return await PlayEachAsync(cells, measure: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the library's patterns with one waveform pair: channel 1 ramps to <paramref name="levelV"/>, holds it for
    /// <paramref name="flatSeconds"/> and ramps back; channel 2 holds 0 V for as long and, when <paramref name="sampleAtSeconds"/>
    /// is given, samples the current there, averaged over <paramref name="averageSeconds"/>.
    /// </summary>
    private Task LoadAsync(string pattern, double levelV, double flatSeconds, WgfmuMeasureCurrentRange range, double? sampleAtSeconds, double averageSeconds, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                _wgfmu.Clear();
                _wgfmu.SetForceVoltageRange(HiChannel, WgfmuRanges.ForceRange(Math.Min(0, levelV), Math.Max(0, levelV)));
                _wgfmu.SetForceVoltageRange(LoChannel, WgfmuForceVoltageRange.Range3V);
                _wgfmu.SetMeasureCurrentRange(LoChannel, range);
                _wgfmu.CreatePattern(pattern, 0);
                _wgfmu.AddVector(pattern, RampSeconds, levelV);
                _wgfmu.AddVector(pattern, flatSeconds, levelV);
                _wgfmu.AddVector(pattern, RampSeconds, 0);
                _wgfmu.CreatePattern(HoldPattern, 0);
                _wgfmu.AddVector(HoldPattern, (2 * RampSeconds) + flatSeconds, 0);
                if (sampleAtSeconds is { } at)
                {
                    _wgfmu.SetMeasureEvent(HoldPattern, MeasureEvent, at, 1, averageSeconds, averageSeconds, WgfmuMeasureEventMode.Averaged);
                }

                _wgfmu.AddSequence(HiChannel, pattern, 1);
                _wgfmu.AddSequence(LoChannel, HoldPattern, 1);
            },
            cancellationToken);

    /// <summary>For each cell: route (relays open, 0 V), connect both channels, execute, fetch the sample, disconnect.</summary>
    private async Task<double[]> PlayEachAsync(IReadOnlyList<CellAddress> cells, bool measure, CancellationToken cancellationToken)
    {
        var currents = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            await _router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);
            currents[i] = await Task.Run(
                () =>
                {
                    _wgfmu.Connect(HiChannel);
                    _wgfmu.Connect(LoChannel);
                    _wgfmu.Execute();
                    _wgfmu.WaitUntilCompleted();
                    var value = 0.0;
                    if (measure)
                    {
                        var (measured, _) = _wgfmu.GetMeasureValueSize(LoChannel);
                        if (measured < 1)
                        {
                            throw new InstrumentProtocolException(_settings.WgfmuAddress ?? _mainframe.Resource, $"WGFMU channel {LoChannel} returned no sample after the sequence completed");
                        }

                        // The WGFMU counts current out of its terminal as positive: the LO channel sinks the cell current.
                        value = -_wgfmu.GetMeasureValues(LoChannel, measured - 1, 1)[0].Value;
                    }

                    _wgfmu.Disconnect(HiChannel);
                    _wgfmu.Disconnect(LoChannel);
                    return value;
                },
                cancellationToken).ConfigureAwait(false);
        }

        return currents;
    }

    private static void RequireNoGate(double? gateV)
    {
        if (gateV is { } g)
        {
            throw new UnsupportedOperationException($"b1500 drives word and bit line only and cannot drive a gate: the pulse asks for a gate voltage of {g.ToString("R", CultureInfo.InvariantCulture)} V");
        }
    }

    private const string PulsePattern = "pulse";
    private const string ReadPattern = "read";
    private const string HoldPattern = "hold";
    private const string MeasureEvent = "current";
}
