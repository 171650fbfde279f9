using System.Collections.Immutable;
using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Instruments;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Switching;
using Serilog;

namespace CimHil.Drivers.SmuMatrix;

/// <summary>
/// A chip on the probe station: a Keithley 2450 SMU (SCPI) whose HI/LO reach one cell through a Keithley 707B matrix (TSP),
/// unselected lines held on the bias bus. The matrix is only switched with the SMU output off (no hot switching);
/// the SMU is left at 0 V with its output off after every operation, and on any failure the matrix is opened as well.
/// One SMU cannot drive rows in parallel, so vector-matrix multiply is not supported.
/// </summary>
public sealed class SmuMatrixChip : IChip
{
    /// <summary>A forming pulse counts as successful when the current at its end reaches this fraction of the compliance.</summary>
    public const double FormedComplianceFraction = 0.9;

    private readonly ScpiSession _smu;
    private readonly ScpiSession _matrix;
    private readonly MatrixRouter _router;
    private readonly SmuMatrixSettings _settings;
    private readonly double _readComplianceA;
    private readonly ILogger _logger;
    private readonly SafetyLimits _ceiling = SmuMatrixDriver.SetupMaxima;
    private readonly SafeOperationGate _gate;
    private int _disposed;

    private SmuMatrixChip(ScpiSession smu, ScpiSession matrix, SmuMatrixSettings settings, ChipIdentity identity, ILogger logger)
    {
        _smu = smu;
        _matrix = matrix;
        _router = new MatrixRouter(new Keithley707B(matrix), settings.Wiring, settings.Rows, settings.Columns);
        _settings = settings;
        _readComplianceA = settings.ReadComplianceA ?? SmuMatrixDriver.SetupMaxima.MaxComplianceA;
        _logger = logger;
        _gate = new SafeOperationGate(SafeStateAsync, logger, "Probe station");
        Identity = identity;
        Geometry = new ArrayGeometry(settings.Rows, settings.Columns);
        Capabilities = settings.Technology == DeviceTechnology.Rram ? ChipCapabilities.RequiresForming : ChipCapabilities.None;
    }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; }

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock => WallClock.Instance;

    /// <summary>Identifies both instruments, resets the SMU (*RST: output off, 0 V) and opens every matrix crosspoint.</summary>
    public static async Task<SmuMatrixChip> OpenAsync(ScpiSession smu, ScpiSession matrix, SmuMatrixSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(smu);
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var smuId = await smu.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        await smu.ResetAsync(cancellationToken).ConfigureAwait(false);
        var matrixId = await matrix.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(smuId.Manufacturer, $"{smuId.Model} + {matrixId.Model.Trim()}", smuId.SerialNumber, smuId.Firmware, settings.Technology);
        var chip = new SmuMatrixChip(smu, matrix, settings, identity, logger);
        await chip._router.Matrix.ClearErrorsAsync(cancellationToken).ConfigureAwait(false);
        await chip._router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        logger.Information("Probe station {Smu} on {SmuResource} with {Matrix} on {MatrixResource}: {Geometry} {Technology} array", smuId.Model, smu.Resource, matrixId.Model, matrix.Resource, chip.Geometry.ToString(), settings.Technology);
        return chip;
    }

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        RequireNoGate(pulse.GateVoltageV);
        _ceiling.Check(pulse);
        var complianceA = pulse.ComplianceA ?? _readComplianceA;
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await _gate.RunAsync(
            async ct =>
            {
                await _smu.ExecuteAsync(PulseSetupCommand(levelV, complianceA, pulse.WidthSeconds), ct).ConfigureAwait(false);
                await _router.RouteAsync(cell, ct).ConfigureAwait(false);
                await _smu.ExecuteNonIdempotentAsync(FireCommand, ct).ConfigureAwait(false);
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
        var currentA = await _gate.RunAsync(
            async ct =>
            {
                await _smu.ExecuteAsync(PulseSetupCommand(pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds), ct).ConfigureAwait(false);
                await _router.RouteAsync(cell, ct).ConfigureAwait(false);
                var reply = await _smu.QueryNonIdempotentAsync(FireCommand + ";:FETC?", ct).ConfigureAwait(false);
                await _smu.ThrowIfErrorsAsync(FireCommand, ct).ConfigureAwait(false);
                return ParseDouble(_smu, reply, ":FETC?");
            },
            cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= FormedComplianceFraction * pulse.ComplianceA, Clock.Now);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        _ceiling.CheckRead("read", readVoltageV);
        var currentA = await _gate.RunAsync(
            async ct =>
            {
                await _smu.ExecuteAsync(ReadSetupCommand(_readComplianceA), ct).ConfigureAwait(false);
                return await MeasureAsync(cell, readVoltageV, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, currentA, Clock.Now);
    }

    /// <summary>Cell by cell, in row-major order: one SMU can only measure one cell at a time.</summary>
    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);

        _ceiling.CheckRead("block read", readVoltageV);
        var currents = await _gate.RunAsync(
            async ct =>
            {
                await _smu.ExecuteAsync(ReadSetupCommand(_readComplianceA), ct).ConfigureAwait(false);
                var values = new double[block.CellCount];
                var i = 0;
                foreach (var cell in block.Cells())
                {
                    values[i++] = await MeasureAsync(cell, readVoltageV, ct).ConfigureAwait(false);
                }

                return ImmutableArray.Create(values);
            },
            cancellationToken).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, currents, Clock.Now);
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) =>
        throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);

    /// <summary>SMU output off at 0 V first, then every crosspoint open (never switch relays with the output on).</summary>
    public async Task SafeStateAsync(CancellationToken cancellationToken)
    {
        Exception? smuError = null;
        try
        {
            await _smu.ExecuteAsync(SafeSmuCommand, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            smuError = ex;
        }

        try
        {
            await _router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (smuError is not null && ex is not OperationCanceledException)
        {
            throw new AggregateException("neither the SMU nor the matrix confirmed the safe state", smuError, ex);
        }

        if (smuError is not null)
        {
            throw new InstrumentException(_smu.Resource, $"{_smu.Resource}: the SMU did not confirm output off at 0 V ({smuError.Message}); the matrix is open", smuError);
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
            _logger.Error(ex, "Probe station did not confirm its safe state on close");
        }

        await _smu.DisposeAsync().ConfigureAwait(false);
        await _matrix.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>SMU: output off, source at 0 V.</summary>
    public const string SafeSmuCommand = ":OUTP OFF;:SOUR:VOLT:LEV 0";

    /// <summary>SMU: output on, run the loaded SimpleLoop (the pulse), wait for it, output off, back to 0 V.</summary>
    public const string FireCommand = ":OUTP ON;:INIT;*WAI;:OUTP OFF;:SOUR:VOLT:LEV 0";

    /// <summary>SMU program message that prepares a pulse: voltage source, current limit, level, SimpleLoop with the width as its delay.</summary>
    public static string PulseSetupCommand(double levelV, double complianceA, double widthSeconds) =>
        $":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM {Num(complianceA)};:SOUR:VOLT:LEV {Num(levelV)};:TRIG:LOAD \"SimpleLoop\", 1, {Num(widthSeconds)}";

    /// <summary>SMU program message that prepares reads: voltage source, current measurement, current limit.</summary>
    public static string ReadSetupCommand(double complianceA) => $":SOUR:FUNC VOLT;:SENS:FUNC \"CURR\";:SOUR:VOLT:ILIM {Num(complianceA)}";

    /// <summary>SMU query that reads one routed cell and leaves the output off at 0 V.</summary>
    public static string MeasureQuery(double readVoltageV) => $":SOUR:VOLT:LEV {Num(readVoltageV)};:OUTP ON;:READ?;:OUTP OFF;:SOUR:VOLT:LEV 0";

    private async Task<double> MeasureAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        await _router.RouteAsync(cell, cancellationToken).ConfigureAwait(false);
        return await _smu.QueryDoubleAsync(MeasureQuery(readVoltageV), cancellationToken).ConfigureAwait(false);
    }

    private static void RequireNoGate(double? gateV)
    {
        if (gateV is { } g)
        {
            throw new UnsupportedOperationException($"smu-matrix has one SMU and cannot drive a gate: the pulse asks for a gate voltage of {Num(g)} V");
        }
    }

    private static double ParseDouble(ScpiSession session, string reply, string what) =>
        double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new InstrumentProtocolException(session.Resource, $"{session.Resource}: reply '{reply}' to {what} is not a number");

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
