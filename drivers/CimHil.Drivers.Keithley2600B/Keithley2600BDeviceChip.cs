using System.Collections.Immutable;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Instruments;
using CimHil.Instruments.Smu;
using Serilog;
using Sourcemeter = CimHil.Instruments.Smu.Keithley2600B;

namespace CimHil.Drivers.Keithley2600B;

/// <summary>
/// One device on a 2600B alone (a 1×1 chip): channel A across the device; for a 1T1R cell, channel B holds the gate at the
/// pulse's gate voltage (or the configured one) while channel A sources, and is off at 0 V otherwise. Every operation
/// leaves both channels off at 0 V; on a failure SafeChip runs <see cref="SafeStateAsync"/>.
/// </summary>
public sealed class Keithley2600BDeviceChip : IChip, ISafeStateOnDispose
{
    private static readonly Keithley2600BChannel Source = Keithley2600BChannel.A;
    private static readonly Keithley2600BChannel Gate = Keithley2600BChannel.B;
    private static readonly CellAddress Cell = new(0, 0);

    private readonly Sourcemeter _smu;
    private readonly Keithley2600BDevice _device;
    private readonly double _readComplianceA;
    private readonly BenchOperationGate _operations = new();
    private readonly ILogger _logger;
    private int _disposed;

    private Keithley2600BDeviceChip(Sourcemeter smu, Keithley2600BDevice device, ChipIdentity identity, ILogger logger)
    {
        _smu = smu;
        _device = device;
        _logger = logger;
        _readComplianceA = device.ReadComplianceA ?? Keithley2600BDriver.SetupMaxima.MaxComplianceA;
        Identity = identity;
        Capabilities = (device.Technology == DeviceTechnology.Rram ? ChipCapabilities.RequiresForming : ChipCapabilities.None)
            | (device.GateV is null ? ChipCapabilities.None : ChipCapabilities.GateVoltage);
    }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; } = new(1, 1);

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock => WallClock.Instance;

    /// <summary>The channels in use: A, and B when it drives a gate.</summary>
    private IReadOnlyList<Keithley2600BChannel> Channels => _device.GateV is null ? [Source] : [Source, Gate];

    /// <summary>Identifies and resets the 2600B (outputs off at 0 V), then loads and runs its script.</summary>
    public static async Task<Keithley2600BDeviceChip> OpenAsync(Sourcemeter smu, Keithley2600BDevice device, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(smu);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(logger);
        var id = await smu.IdentifyAsync(cancellationToken).ConfigureAwait(false);
        await smu.ResetAsync(cancellationToken).ConfigureAwait(false);
        await smu.LoadScriptAsync(cancellationToken).ConfigureAwait(false);
        var identity = new ChipIdentity(id.Manufacturer, id.Model.Trim(), id.SerialNumber.Trim(), id.Firmware.Trim(), device.Technology);
        logger.Information("{Smu} on {Resource} drives one {Technology} device{Gate}", id.Model, smu.Resource, device.Technology, device.GateV is { } g ? $", gate on smub at {g} V" : "");
        return new Keithley2600BDeviceChip(smu, device, identity, logger);
    }

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        Keithley2600BDriver.SetupMaxima.Check(pulse);
        var gateV = GateFor(pulse.GateVoltageV);
        var complianceA = pulse.ComplianceA ?? _readComplianceA;
        var levelV = pulse.Polarity == PulsePolarity.Set ? pulse.AmplitudeV : -pulse.AmplitudeV;
        await PulseAsync(levelV, complianceA, pulse.WidthSeconds, gateV, fetch: false, cancellationToken).ConfigureAwait(false);
        return new PulseResult(cell, pulse, Clock.Now);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        Keithley2600BDriver.SetupMaxima.Check(pulse);
        var gateV = GateFor(pulse.GateVoltageV);
        var currentA = await PulseAsync(pulse.AmplitudeV, pulse.ComplianceA, pulse.WidthSeconds, gateV, fetch: true, cancellationToken).ConfigureAwait(false);
        return new FormingResult(cell, pulse, currentA, Math.Abs(currentA) >= Keithley2600BChip.FormedComplianceFraction * pulse.ComplianceA, Clock.Now);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Keithley2600BDriver.SetupMaxima.CheckRead("read", readVoltageV);
        var currentA = await _operations.RunAsync(ct => ReadAsync(readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, currentA, Clock.Now);
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);
        Keithley2600BDriver.SetupMaxima.CheckRead("block read", readVoltageV);
        var currentA = await _operations.RunAsync(ct => ReadAsync(readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, ImmutableArray.Create(currentA), Clock.Now);
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) =>
        throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);

    /// <summary>Every channel in use off at 0 V, in one line.</summary>
    public Task SafeStateAsync(CancellationToken cancellationToken) => _smu.OutputsOffAtZeroAsync(Channels, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await SafeStateOnClose.RunAsync(SafeStateAsync, _logger, "2600B").ConfigureAwait(false);
        await _smu.Session.DisposeAsync().ConfigureAwait(false);
        _operations.Dispose();
    }

    /// <summary>The gate voltage of an operation: the pulse's, else the configured one; a two-terminal device has no gate.</summary>
    private double? GateFor(double? pulseGateV)
    {
        if (_device.GateV is null)
        {
            return pulseGateV is { } g
                ? throw new UnsupportedOperationException($"keithley-2600b drives a two-terminal device (no gateV configured) and cannot drive a gate: the pulse asks for {g.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} V")
                : null;
        }

        return pulseGateV ?? _device.GateV;
    }

    private Task<double> PulseAsync(double levelV, double complianceA, double widthSeconds, double? gateV, bool fetch, CancellationToken cancellationToken)
    {
        var call = Sourcemeter.PulseCall(Source, levelV, complianceA, widthSeconds);
        if (gateV is { } g)
        {
            _ = Sourcemeter.DcBiasCommand(Gate, g, _device.GateComplianceA);
        }

        return _operations.RunAsync(
            async ct =>
            {
                var sentAt = Clock.Now;
                if (gateV is { } gate)
                {
                    await _smu.DcBiasAsync(Gate, gate, _device.GateComplianceA, ct).ConfigureAwait(false);
                }

                try
                {
                    await _smu.PulseAsync(Source, levelV, complianceA, widthSeconds, ct).ConfigureAwait(false);
                }
                catch (UncertainOutcomeException ex)
                {
                    throw new UncertainPulseException(Cell, call, null, sentAt, ex);
                }

                if (gateV is not null)
                {
                    await _smu.OutputsOffAtZeroAsync([Gate], ct).ConfigureAwait(false);
                }

                return fetch ? await _smu.FetchCurrentAsync(Source, ct).ConfigureAwait(false) : 0;
            },
            cancellationToken);
    }

    private async Task<double> ReadAsync(double readVoltageV, CancellationToken cancellationToken)
    {
        _ = Sourcemeter.ReadCall(Source, readVoltageV, _readComplianceA);
        if (_device.GateV is { } g)
        {
            await _smu.DcBiasAsync(Gate, g, _device.GateComplianceA, cancellationToken).ConfigureAwait(false);
        }

        var currentA = await _smu.ReadCurrentAsync(Source, readVoltageV, _readComplianceA, cancellationToken).ConfigureAwait(false);
        if (_device.GateV is not null)
        {
            await _smu.OutputsOffAtZeroAsync([Gate], cancellationToken).ConfigureAwait(false);
        }

        return currentA;
    }
}
