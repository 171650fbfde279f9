using CimHil.Core.Chip;
using CimHil.Instruments;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Switching;
using Serilog;

namespace CimHil.Drivers.SmuMatrix;

/// <summary>
/// A chip on the probe station: a Keithley 2450 SMU whose HI/LO reach one cell through a Keithley 707B matrix, unselected
/// lines held on the bias bus. The matrix is only switched with the SMU output off (no hot switching); the SMU is left at
/// 0 V with its output off after every operation, and on any failure the matrix is opened as well.
/// </summary>
public sealed class SmuMatrixChip : MatrixBenchChip
{
    /// <summary>A forming pulse counts as successful when the current at its end reaches this fraction of the compliance.</summary>
    public const double FormedComplianceFraction = 0.9;

    protected override string NoGateReason => "smu-matrix has one SMU";

    private readonly Keithley2450 _smu;
    private readonly double _readComplianceA;

    private SmuMatrixChip(Keithley2450 smu, Keithley707B matrix, SmuMatrixSettings settings, ChipIdentity identity, ILogger logger)
        : base("Probe station", matrix, settings.Array, identity, SmuMatrixDriver.SetupMaxima, logger)
    {
        _smu = smu;
        _readComplianceA = settings.Array.ReadComplianceA ?? SmuMatrixDriver.SetupMaxima.MaxComplianceA;
    }

    /// <summary>Identifies both instruments, resets the SMU (*RST: output off, 0 V) and opens every matrix crosspoint.</summary>
    public static async Task<SmuMatrixChip> OpenAsync(Keithley2450 smu, Keithley707B matrix, SmuMatrixSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(smu);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var smuId = await smu.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        await smu.ResetAsync(cancellationToken).ConfigureAwait(false);
        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(smuId.Manufacturer, $"{smuId.Model} + {matrixId.Model.Trim()}", smuId.SerialNumber, smuId.Firmware, settings.Array.Technology);
        var chip = new SmuMatrixChip(smu, matrix, settings, identity, logger);
        await chip.OpenMatrixAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("Probe station {Smu} on {SmuResource} with {Matrix} on {MatrixResource}: {Geometry} {Technology} array", smuId.Model, smu.Session.Resource, matrixId.Model, matrix.Session.Resource, chip.Geometry.ToString(), settings.Array.Technology);
        return chip;
    }

    public override async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var complianceA = pulse.ComplianceA ?? _readComplianceA;
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await PulseAsync(
            cell,
            Operation(levelV, complianceA, pulse.WidthSeconds),
            async ct =>
            {
                await _smu.ConfigurePulseAsync(levelV, complianceA, pulse.WidthSeconds, ct).ConfigureAwait(false);
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                await _smu.FirePulseAsync(ct).ConfigureAwait(false);
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
            Operation(pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds) + ";:FETC?",
            async ct =>
            {
                await _smu.ConfigurePulseAsync(pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds, ct).ConfigureAwait(false);
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                return await _smu.FirePulseAndFetchCurrentAsync(ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedComplianceFraction * pulse.ComplianceA, Clock.Now);
    }

    /// <summary>SMU output off at 0 V first, then every crosspoint open (never switch relays with the output on).</summary>
    public override Task SafeStateAsync(CancellationToken cancellationToken) =>
        SourceOffThenOpenMatrixAsync("SMU", _smu.Session.Resource, "output off at 0 V", _smu.OutputOffAtZeroAsync, cancellationToken);

    protected override ValueTask CloseInstrumentsAsync() => _smu.Session.DisposeAsync();

    /// <summary>The pulse as the SMU receives it (setup, then the firing message): what an uncertain pulse names.</summary>
    private static string Operation(double levelV, double complianceA, double widthSeconds) =>
        $"{Keithley2450.PulseSetupCommand(levelV, complianceA, widthSeconds)} then {Keithley2450.FireCommand}";

    /// <summary>Sets the SMU up for reads once, then routes and measures each cell in turn.</summary>
    protected override async Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken)
    {
        await _smu.ConfigureCurrentMeasurementAsync(_readComplianceA, cancellationToken).ConfigureAwait(false);
        var currents = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            await Router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);
            currents[i] = await _smu.MeasureCurrentAsync(readVoltageV, cancellationToken).ConfigureAwait(false);
        }

        return currents;
    }
}
