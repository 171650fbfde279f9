using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Instruments;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Wgfmu;
using Serilog;

namespace CimHil.Drivers.B1500;

// The driver's namespace is also called B1500, so the instrument class goes by another name here.
using B1500Mainframe = CimHil.Instruments.Analyzer.B1500;

/// <summary>
/// A chip on a Keysight B1500A with a B1530A WGFMU, reached cell by cell through a Keithley 707B matrix. The mainframe is
/// only identified and disabled (FLEX <c>UNT?</c>, <c>CL</c>, errors through <c>ERRX?</c>); the waveforms are WGFMU patterns:
/// a pulse is 0 V → amplitude in <see cref="RampSeconds"/>, a flat top, and back (its full width at half maximum is the
/// pulse width), played on channel 1 (HI row, word line) while channel 2 (LO row, bit line) holds 0 V and, for forming and
/// reads, samples the current. Relays are only switched with the WGFMU outputs at 0 V and disconnected; after every
/// operation both channels are disconnected, and on any failure the WGFMU is initialised (0 V), the mainframe disabled
/// (<c>CL</c>) and the matrix opened.
/// </summary>
public sealed class B1500Chip : MatrixBenchChip
{
    /// <summary>Transition time of every edge; a conservative slew for the Fast IV mode on its 10 V range.</summary>
    public const double RampSeconds = 100e-9;

    /// <summary>Settling after the read edge before the current is sampled.</summary>
    public const double ReadSettleSeconds = 1e-6;

    /// <summary>Averaging window of one current sample (reads and the end of a forming pulse).</summary>
    public const double AverageSeconds = 10e-6;

    /// <summary>A forming pulse counts as successful when the current at its end reaches this fraction of the current limit.</summary>
    public const double FormedLimitFraction = 0.9;

    protected override string NoGateReason => "b1500 drives word and bit line only";
    private const string PulsePattern = "pulse";
    private const string ReadPattern = "read";

    private readonly B1500Mainframe _mainframe;
    private readonly B1530A _wgfmu;
    private readonly double _readComplianceA;

    private B1500Chip(B1500Mainframe mainframe, B1530A wgfmu, Keithley707B matrix, B1500Settings settings, ChipIdentity identity, ILogger logger)
        : base("B1500 bench", matrix, settings.Array, identity, B1500Driver.SetupMaxima, logger)
    {
        _mainframe = mainframe;
        _wgfmu = wgfmu;
        _readComplianceA = settings.Array.ReadComplianceA ?? B1500Driver.SetupMaxima.MaxComplianceA;
    }

    /// <summary>WGFMU channel on the matrix HI row (plays the pulse).</summary>
    public int HiChannel => _wgfmu.Channel1;

    /// <summary>WGFMU channel on the matrix LO row (holds 0 V, samples the current).</summary>
    public int LoChannel => _wgfmu.Channel2;

    /// <summary>
    /// Identifies the mainframe and checks that a B1530A sits in the configured slot (<c>UNT?</c>), disables every channel
    /// (<c>CL</c>), opens the WGFMU session and checks both channels, initialises them (0 V) in Fast IV mode, and opens the matrix.
    /// </summary>
    public static async Task<B1500Chip> OpenAsync(B1500Mainframe mainframe, IWgfmu wgfmu, Keithley707B matrix, B1500Settings settings, double timeoutSeconds, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mainframe);
        ArgumentNullException.ThrowIfNull(wgfmu);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var resource = mainframe.Session.Resource;
        var id = await mainframe.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var modules = await mainframe.ModulesAsync(cancellationToken).ConfigureAwait(false);
        var module = modules.InSlot(settings.WgfmuSlot);
        if (!module.StartsWith("B1530", StringComparison.OrdinalIgnoreCase))
        {
            throw new InstrumentException(resource,
                $"{resource}: slot {settings.WgfmuSlot} holds '{(module is "" or "0" ? "nothing" : module)}', not a B1530A WGFMU (UNT? answered '{modules.Reply}'); fix chip.settings.wgfmuSlot");
        }

        await mainframe.DisableAllAsync(cancellationToken).ConfigureAwait(false);
        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(id.Manufacturer, $"{id.Model} + B1530A (slot {settings.WgfmuSlot}) + {matrixId.Model.Trim()}", id.SerialNumber, id.Firmware, settings.Array.Technology);
        var address = settings.WgfmuAddress ?? resource;
        var chip = new B1500Chip(mainframe, new B1530A(wgfmu, address, settings.WgfmuSlot), matrix, settings, identity, logger);
        var channels = await chip._wgfmu.OpenSessionAsync(address, cancellationToken).ConfigureAwait(false);
        foreach (var ch in new[] { chip.HiChannel, chip.LoChannel }.Where(ch => !channels.Contains(ch)))
        {
            throw new InstrumentException(address, $"WGFMU channel {ch} is not installed (the library reports {string.Join(", ", channels)}); fix chip.settings.wgfmuSlot");
        }

        await chip._wgfmu.ConfigureFastIvAsync(timeoutSeconds, cancellationToken).ConfigureAwait(false);
        await chip.OpenMatrixAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("B1500 {Model} on {Resource} with its WGFMU in slot {Slot} and {Matrix} on {MatrixResource}: {Geometry} {Technology} array", id.Model, resource, settings.WgfmuSlot, matrixId.Model, matrix.Session.Resource, chip.Geometry.ToString(), settings.Array.Technology);
        return chip;
    }

    public override async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var limit = WgfmuRanges.ForLimit(pulse.ComplianceA ?? _readComplianceA);
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await PulseAsync(cell, Operation(levelV, pulse.WidthSeconds), ct => PlayAsync(cell, levelV, pulse.WidthSeconds, limit.Range, measure: false, ct), cancellationToken).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public override async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var limit = WgfmuRanges.ForLimit(pulse.ComplianceA);
        var currentA = await PulseAsync(cell, Operation(pulse.AmplitudeV, pulse.WidthSeconds), ct => PlayAsync(cell, pulse.AmplitudeV, pulse.WidthSeconds, limit.Range, measure: true, ct), cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedLimitFraction * limit.FullScaleA, Clock.Now);
    }

    /// <summary>WGFMU initialised (0 V) with both relays open, the mainframe's channels disabled (<c>CL</c>), then every crosspoint open.</summary>
    public override async Task SafeStateAsync(CancellationToken cancellationToken)
    {
        var errors = new List<Exception>();
        foreach (var step in new Func<CancellationToken, Task>[] { _wgfmu.ResetAsync, _mainframe.DisableAllAsync, Router.OpenAllAsync })
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                errors.Add(ex);
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("the B1500 bench did not confirm its safe state (WGFMU 0 V and disconnected, CL, matrix open)", errors);
        }
    }

    protected override async ValueTask CloseInstrumentsAsync()
    {
        try
        {
            _wgfmu.Library.CloseSession();
        }
        catch (InstrumentException ex)
        {
            Logger.Warning(ex, "WGFMU session did not close cleanly");
        }

        _wgfmu.Library.Dispose();
        await _mainframe.Session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What an uncertain pulse names: the waveform on channel 1.</summary>
    private static string Operation(double levelV, double widthSeconds) =>
        string.Create(CultureInfo.InvariantCulture, $"WGFMU pulse to {levelV:R} V, {widthSeconds:R} s FWHM");

    /// <summary>
    /// The pulse waveform on channel 1 (0 V, ramp, flat top, ramp, 0 V; FWHM = <paramref name="widthSeconds"/>) and 0 V on
    /// channel 2 for the same time; with <paramref name="measure"/> channel 2 samples the current at the end of the flat top.
    /// Returns the cell current (A, positive from word line to bit line), or 0 without a measurement.
    /// </summary>
    private async Task<double> PlayAsync(CellAddress cell, double levelV, double widthSeconds, WgfmuMeasureCurrentRange range, bool measure, CancellationToken cancellationToken)
    {
        var flat = widthSeconds - RampSeconds;
        var average = Math.Min(AverageSeconds, flat / 2);
        await _wgfmu.LoadAsync(Waveform(PulsePattern, levelV, flat, range, measure ? RampSeconds + flat - average : null, average), cancellationToken).ConfigureAwait(false);
        var currents = await PlayEachAsync([cell], measure, cancellationToken).ConfigureAwait(false);
        return currents[0];
    }

    /// <summary>Loads the read waveform once (ramp to the read voltage, settle, one averaged current sample, ramp down) and plays it per cell.</summary>
    protected override async Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken)
    {
        var range = WgfmuRanges.ForLimit(_readComplianceA).Range;
        await _wgfmu.LoadAsync(Waveform(ReadPattern, readVoltageV, ReadSettleSeconds + AverageSeconds, range, RampSeconds + ReadSettleSeconds, AverageSeconds), cancellationToken).ConfigureAwait(false);
        return await PlayEachAsync(cells, measure: true, cancellationToken).ConfigureAwait(false);
    }

    private static WgfmuWaveform Waveform(string pattern, double levelV, double flatSeconds, WgfmuMeasureCurrentRange range, double? sampleAtSeconds, double averageSeconds) => new()
    {
        Pattern = pattern,
        LevelV = levelV,
        RampSeconds = RampSeconds,
        FlatSeconds = flatSeconds,
        ForceRange = WgfmuRanges.ForceRange(Math.Min(0, levelV), Math.Max(0, levelV)),
        CurrentRange = range,
        SampleAtSeconds = sampleAtSeconds,
        AverageSeconds = averageSeconds,
    };

    /// <summary>For each cell: route (relays open, 0 V), then play the loaded sequence once and take channel 2's sample.</summary>
    private async Task<double[]> PlayEachAsync(IReadOnlyList<CellAddress> cells, bool measure, CancellationToken cancellationToken)
    {
        var currents = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            await Router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);

            var sample = await _wgfmu.PlayAsync(measure, cancellationToken).ConfigureAwait(false);

            // The WGFMU counts current out of its terminal as positive: the LO channel sinks the cell current.
            currents[i] = measure ? -sample : 0;
        }

        return currents;
    }
}
