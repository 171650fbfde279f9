using CimHil.Core.Chip;
using CimHil.Instruments;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Switching;
using Serilog;
using Sourcemeter = CimHil.Instruments.Smu.Keithley2600B;

namespace CimHil.Drivers.Keithley2600B;

/// <summary>
/// A chip on the probe station behind a Keithley 2600B: channel A's HI/LO reach one cell through a Keithley 707B matrix,
/// unselected lines on the bias bus. Every pulse and read is one call of the script loaded at connect, which leaves channel A
/// off at 0 V; the matrix is only switched with the output off. On any failure SafeChip runs <see cref="SafeStateAsync"/>.
/// </summary>
public sealed class Keithley2600BChip : MatrixBenchChip
{
    /// <summary>A forming pulse counts as successful when the current measured during it reaches this fraction of the compliance.</summary>
    public const double FormedComplianceFraction = 0.9;

    protected override string NoGateReason => "keithley-2600b drives the cell from channel A through the matrix";

    private static readonly Keithley2600BChannel Source = Keithley2600BChannel.A;

    private readonly Sourcemeter _smu;
    private readonly double _readComplianceA;

    private Keithley2600BChip(Sourcemeter smu, Keithley707B matrix, Keithley2600BSettings settings, ChipIdentity identity, ILogger logger)
        : base("Probe station", matrix, settings.Array!, identity, Keithley2600BDriver.SetupMaxima, logger)
    {
        _smu = smu;
        _readComplianceA = settings.Array!.ReadComplianceA ?? Keithley2600BDriver.SetupMaxima.MaxComplianceA;
    }

    /// <summary>
    /// Identifies both instruments, resets the 2600B (<c>reset()</c>: outputs off at 0 V), loads and runs its script, and
    /// opens every matrix crosspoint.
    /// </summary>
    public static async Task<Keithley2600BChip> OpenAsync(Sourcemeter smu, Keithley707B matrix, Keithley2600BSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(smu);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(settings.Array);
        ArgumentNullException.ThrowIfNull(logger);
        var smuId = await smu.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        await smu.ResetAsync(cancellationToken).ConfigureAwait(false);
        await smu.LoadScriptAsync(cancellationToken).ConfigureAwait(false);
        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(smuId.Manufacturer, $"{smuId.Model.Trim()} + {matrixId.Model.Trim()}", smuId.SerialNumber.Trim(), smuId.Firmware.Trim(), settings.Array.Technology);
        var chip = new Keithley2600BChip(smu, matrix, settings, identity, logger);
        await chip.OpenMatrixAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("Probe station {Smu} on {SmuResource} with {Matrix} on {MatrixResource}: {Geometry} {Technology} array", smuId.Model, smu.Resource, matrixId.Model, matrix.Session.Resource, chip.Geometry.ToString(), settings.Array.Technology);
        return chip;
    }

    public override async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var complianceA = pulse.ComplianceA ?? _readComplianceA;
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await PulseAsync(
            cell,
            Sourcemeter.PulseCall(Source, levelV, complianceA, pulse.WidthSeconds),
            async ct =>
            {
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                await _smu.PulseAsync(Source, levelV, complianceA, pulse.WidthSeconds, ct).ConfigureAwait(false);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public override async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var currentA = await PulseAsync(
            cell,
            Sourcemeter.PulseCall(Source, pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds),
            async ct =>
            {
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                await _smu.PulseAsync(Source, pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds, ct).ConfigureAwait(false);
                return await _smu.FetchCurrentAsync(Source, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedComplianceFraction * pulse.ComplianceA, Clock.Now);
    }

    /// <summary>Both 2600B channels off at 0 V first, then every crosspoint open (never switch relays with an output on).</summary>
    public override Task SafeStateAsync(CancellationToken cancellationToken) =>
        SourceOffThenOpenMatrixAsync("2600B", _smu.Resource, "channel A off at 0 V", ct => _smu.OutputsOffAtZeroAsync([Keithley2600BChannel.A], ct), cancellationToken);

    protected override ValueTask CloseInstrumentsAsync() => _smu.Session.DisposeAsync();

    /// <summary>Routes and measures each cell in turn, one <c>cimhil_read</c> call per cell.</summary>
    protected override async Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken)
    {
        // The call is checked against the instrument's declared ranges before any relay moves.
        _ = Sourcemeter.ReadCall(Source, readVoltageV, _readComplianceA);
        var currents = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            await Router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);
            currents[i] = await _smu.ReadCurrentAsync(Source, readVoltageV, _readComplianceA, cancellationToken).ConfigureAwait(false);
        }

        return currents;
    }
}
