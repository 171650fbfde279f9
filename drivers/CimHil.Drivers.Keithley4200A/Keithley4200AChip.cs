using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Instruments;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Switching;
using Serilog;
using Analyzer = CimHil.Instruments.Analyzer.Keithley4200A;

namespace CimHil.Drivers.Keithley4200A;

/// <summary>
/// A chip on the probe station behind a 4200A-SCS: the RPM output (SMU or PMU channel) and the SMU common reach one cell
/// through a 707B matrix. Forming and reads use the SMU in KXCI user mode; SET/RESET pulses the PMU in standard pulse mode.
/// Every operation leaves the SMU off at 0 V and the PMU output off; the matrix is only switched with them off. On any
/// failure SafeChip runs <see cref="SafeStateAsync"/>.
/// </summary>
public sealed class Keithley4200AChip : MatrixBenchChip
{
    /// <summary>A forming step counts as successful when the current measured at its end reaches this fraction of the compliance.</summary>
    public const double FormedComplianceFraction = 0.9;

    protected override string NoGateReason => "keithley-4200a drives the cell from one SMU/PMU output through the matrix";

    private readonly Analyzer _analyzer;
    private readonly int _smu;
    private readonly int? _pmu;
    private readonly double _readComplianceA;
    private readonly TimeSpan _pulseTimeout;
    private readonly Keithley4200AReadMode _readMode;
    private readonly double _readPulseWidthSeconds;

    private Keithley4200AChip(Analyzer analyzer, Keithley707B matrix, Keithley4200ASettings settings, TimeSpan pulseTimeout, ChipIdentity identity, ILogger logger)
        : base("Probe station", matrix, settings.Array, identity, Keithley4200ADriver.SetupMaxima, logger)
    {
        _analyzer = analyzer;
        _smu = settings.SmuChannel;
        _pmu = settings.PmuChannel;
        _pulseTimeout = pulseTimeout;
        _readMode = settings.ReadMode;
        _readPulseWidthSeconds = settings.ReadPulseWidthSeconds;
        _readComplianceA = settings.Array.ReadComplianceA ?? Keithley4200ADriver.SetupMaxima.MaxComplianceA;
    }

    /// <summary>The 4225-PMU channel in use (configured or detected); null without a PMU.</summary>
    public int? PmuChannel => _pmu;

    /// <summary>
    /// Identifies both instruments, resets the 4200A (SMUs off, user mode, PMU initialised and off), detects the PMU when
    /// asked (<c>"pmuChannel": "auto"</c>) and opens the matrix.
    /// </summary>
    public static async Task<Keithley4200AChip> OpenAsync(Analyzer analyzer, Keithley707B matrix, Keithley4200ASettings settings, TimeSpan pulseTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var id = await analyzer.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        await analyzer.ResetAsync(settings.PmuChannel, cancellationToken).ConfigureAwait(false);
        if (settings.DetectPmu && await analyzer.DetectPmuAsync(cancellationToken).ConfigureAwait(false))
        {
            // Detected: channel 1 (the RPM the SMU shares, docs/drivers.md), its output off as after a configured reset.
            settings = settings with { PmuChannel = 1 };
            await analyzer.CommandAsync(Analyzer.PmuOutputCommand(1, false), cancellationToken).ConfigureAwait(false);
        }

        if (settings.ReadMode == Keithley4200AReadMode.Pmu && settings.PmuChannel is null)
        {
            throw new ConfigException("chip.settings.readMode", $"pmu reads need a 4225-PMU, and none answered {Analyzer.PmuInitCommand} on {analyzer.Resource}");
        }

        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(id.Manufacturer, $"{id.Model.Trim()} + {matrixId.Model.Trim()}", id.SerialNumber.Trim(), id.Firmware.Trim(), settings.Array.Technology);
        var chip = new Keithley4200AChip(analyzer, matrix, settings, pulseTimeout, identity, logger);
        await chip.OpenMatrixAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("Probe station {Analyzer} (SMU{Smu}, {Pmu}) on {Resource} with {Matrix}: {Geometry} {Technology} array", id.Model, settings.SmuChannel, settings.PmuChannel is { } p ? $"PMU channel {p}" : "no PMU", analyzer.Resource, matrixId.Model, chip.Geometry.ToString(), settings.Array.Technology);
        return chip;
    }

    public override async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        if (_pmu is not { } pmu)
        {
            // An SMU's shortest source step in user mode is timed by the host, milliseconds at best: not a programming pulse.
            throw new UnsupportedOperationException("keithley-4200a has no 4225-PMU configured (chip.settings.pmuChannel): SET/RESET pulses need one; forming and reads use the SMU");
        }

        var complianceA = pulse.ComplianceA ?? _readComplianceA;
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        var setup = Analyzer.PulseSetup(pmu, levelV, complianceA, pulse.WidthSeconds);
        await PulseAsync(
            cell,
            setup[^1],
            async ct =>
            {
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                await _analyzer.PulseAsync(pmu, levelV, complianceA, pulse.WidthSeconds, _pulseTimeout, ct).ConfigureAwait(false);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public override async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        CheckPulse(cell, pulse);
        var force = Analyzer.ForceVoltageCommand(_smu, pulse.AmplitudeV, pulse.ComplianceA);
        var currentA = await PulseAsync(
            cell,
            force,
            async ct =>
            {
                await Router.RouteAsync(cell, ct).ConfigureAwait(false);
                await ToSmuAsync(ct).ConfigureAwait(false);
                return await _analyzer.FormAsync(_smu, pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedComplianceFraction * pulse.ComplianceA, Clock.Now);
    }

    /// <summary>The PMU output off and the SMU off at 0 V first, then every crosspoint open (never switch relays with an output on).</summary>
    public override Task SafeStateAsync(CancellationToken cancellationToken) =>
        SourceOffThenOpenMatrixAsync("4200A", _analyzer.Resource, "its outputs off", ct => _analyzer.SafeStateAsync(_smu, _pmu, ct), cancellationToken);

    protected override ValueTask CloseInstrumentsAsync() => _analyzer.Session.DisposeAsync();

    /// <summary>Routes and measures each cell in turn with the SMU (DV, TI, DV off), or with one PMU read pulse each.</summary>
    protected override async Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken)
    {
        if (_readMode == Keithley4200AReadMode.Pmu && _pmu is { } pmu)
        {
            // Checked against the PMU's declared ranges before any relay moves.
            _ = Analyzer.PulsedReadSetup(pmu, readVoltageV, _readComplianceA, _readPulseWidthSeconds);
            var read = new double[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                await Router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);
                read[i] = (await _analyzer.PulsedReadAsync(pmu, readVoltageV, _readComplianceA, _readPulseWidthSeconds, _pulseTimeout, cancellationToken).ConfigureAwait(false)).CurrentA;
            }

            return read;
        }

        // Checked against the instrument's declared ranges before any relay moves.
        _ = Analyzer.ForceVoltageCommand(_smu, readVoltageV, _readComplianceA);
        await ToSmuAsync(cancellationToken).ConfigureAwait(false);
        var currents = new double[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            await Router.RouteAsync(cells[i], cancellationToken).ConfigureAwait(false);
            currents[i] = await _analyzer.ReadCurrentAsync(_smu, readVoltageV, _readComplianceA, cancellationToken).ConfigureAwait(false);
        }

        return currents;
    }

    // With a PMU, the SMU reaches the cell only through its RPM switched to the SMU path.
    private Task ToSmuAsync(CancellationToken cancellationToken) =>
        _pmu is { } pmu ? _analyzer.CommandAsync(Analyzer.RpmCommand(pmu, Analyzer.RpmToSmu), cancellationToken) : Task.CompletedTask;
}
