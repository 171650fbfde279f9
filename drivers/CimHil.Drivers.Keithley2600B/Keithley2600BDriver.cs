using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;
using Sourcemeter = CimHil.Instruments.Smu.Keithley2600B;

namespace CimHil.Drivers.Keithley2600B;

/// <summary>
/// A Keithley 2600B SourceMeter (TSP) as pulse source and meter: routed to one cell at a time by a 707B matrix, or alone on
/// one device (two-terminal, or 1T1R with channel B on the gate) when no matrix is configured.
/// </summary>
[ChipDriver("keithley-2600b", Description = "Keithley 2600B SourceMeter (TSP scripts, channel A) + 707B-class switch matrix (TSP), or alone on one device (1T1R: channel B on the gate); no VMM")]
public sealed class Keithley2600BDriver : ChipDriver<Keithley2600BSettings>
{
    /// <summary>
    /// Ceilings of the setup. Voltage: 20 V, inside every 2600B's range (2602B/2612B: 40 V; 2636B: 200 V) and far above any
    /// RRAM/PCM need; current: 100 mA, a range every model sources at 20 V and well inside the 7174A card's 1 A carry rating;
    /// pulse width: at least 100 µs, the 2600B's shortest programmable pulse (2600B datasheet, "Pulse characteristics"),
    /// at most 10 s.
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = HardwareMaxima.Uniform(voltageV: 20, complianceA: 0.1, minPulseWidthSeconds: 100e-6, maxPulseWidthSeconds: 10);

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("smu", "string", "VISA resource or alias of the Keithley 2600B (TSP command set); channel A drives the cell"),
        .. MatrixArraySettings.Declared("the 2600B channel A HI", "the 2600B channel A LO", "Current limit (smua.source.limiti) during reads"),
        new("gateV", "number", "Without a matrix: gate voltage (channel B) of a 1T1R device for reads and pulses that name none; omit for a two-terminal device"),
        new("gateComplianceA", "number", "Without a matrix: channel B's current limit on the gate", "0.001"),
    ];

    /// <summary>The settings a 2600B alone on one device reads (no matrix, no array).</summary>
    public static IReadOnlyList<string> DeviceSettingNames { get; } = ["smu", "technology", "readComplianceA", "gateV", "gateComplianceA"];

    public override Keithley2600BSettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Has("matrix"))
        {
            settings.AllowOnly([.. DeviceSettingNames]);
            return new Keithley2600BSettings { Smu = settings.String("smu"), Device = ParseDevice(settings) };
        }

        settings.AllowOnly(["smu", .. MatrixArraySettings.SettingNames]);
        var array = MatrixArraySettings.Parse(settings, SetupMaxima.MaxComplianceA);
        return new Keithley2600BSettings { Smu = settings.String("smu"), Array = array };
    }

    public override Task<IChip> ConnectAsync(Keithley2600BSettings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> (tests pass a recording factory to assert the bytes on the wire).</summary>
    public async Task<IChip> ConnectAsync(Keithley2600BSettings settings, DriverContext context, ITransportFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var options = TransportOptions.FromConfig(context.Config.Transport);
        var safety = context.Config.Chip.Safety;
        var device = settings.Device is { } d ? Resolve(d, safety) : null;
        var resolved = settings with { Array = settings.Array?.WithReadCompliance(safety) };
        var smu = await Sourcemeter.OpenAsync(context.Config.Instruments.Resolve(settings.Smu), options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
        Keithley707B? matrix = null;
        try
        {
            if (device is not null || resolved.Array is null)
            {
                return await Keithley2600BDeviceChip.OpenAsync(smu, device ?? new Keithley2600BDevice(), context.Logger, cancellationToken).ConfigureAwait(false);
            }

            matrix = await Keithley707B.OpenAsync(context.Config.Instruments.Resolve(resolved.Array.Matrix), options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
            return await Keithley2600BChip.OpenAsync(smu, matrix, resolved, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (matrix is not null)
            {
                await matrix.Session.DisposeAsync().ConfigureAwait(false);
            }

            await smu.Session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static Keithley2600BDevice ParseDevice(JsonSection settings)
    {
        var max = SetupMaxima;
        double? readCompliance = settings.Has("readComplianceA") ? settings.Positive("readComplianceA") : null;
        if (readCompliance > max.MaxComplianceA)
        {
            throw settings.Error("readComplianceA", $"{readCompliance:G6} A exceeds the driver maximum {max.MaxComplianceA:G6} A");
        }

        var gateCompliance = settings.Positive("gateComplianceA", Keithley2600BDevice.DefaultGateComplianceA);
        if (gateCompliance > max.MaxComplianceA)
        {
            throw settings.Error("gateComplianceA", $"{gateCompliance:G6} A exceeds the driver maximum {max.MaxComplianceA:G6} A");
        }

        return new Keithley2600BDevice
        {
            Technology = settings.Enum("technology", DeviceTechnology.Rram),
            GateV = settings.Has("gateV") ? settings.Double("gateV", -max.MaxGateVoltageV, max.MaxGateVoltageV) : null,
            GateComplianceA = gateCompliance,
            ReadComplianceA = readCompliance,
        };
    }

    /// <summary>The device settings against <c>chip.safety</c>: the read limit defaulted to its maximum, gate and read limits refused above it.</summary>
    private static Keithley2600BDevice Resolve(Keithley2600BDevice device, SafetyLimits safety)
    {
        var readCompliance = device.ReadComplianceA ?? safety.MaxComplianceA;
        if (readCompliance > safety.MaxComplianceA)
        {
            throw new ConfigException("chip.settings.readComplianceA", $"{readCompliance:G6} A exceeds chip.safety.maxComplianceA {safety.MaxComplianceA:G6} A");
        }

        if (device.GateV is { } g && Math.Abs(g) > safety.MaxGateVoltageV)
        {
            throw new ConfigException("chip.settings.gateV", $"{g:G6} V exceeds chip.safety.maxGateVoltageV {safety.MaxGateVoltageV:G6} V");
        }

        return device with { ReadComplianceA = readCompliance };
    }
}
