using System.Text.Json;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.Analyzer;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;
using Analyzer = CimHil.Instruments.Analyzer.Keithley4200A;

namespace CimHil.Drivers.Keithley4200A;

/// <summary>
/// A Keithley 4200A-SCS parameter analyzer over KXCI in front of a 707B matrix: one SMU forms and reads, the 4225-PMU (through
/// the RPM that shares the SMU's output) plays SET/RESET pulses; without a PMU, SET/RESET pulses are refused.
/// </summary>
[ChipDriver("keithley-4200a", Description = "Keithley 4200A-SCS over KXCI (SMU forms and reads, 4225-PMU + RPM pulses) + 707B-class switch matrix (TSP); no VMM")]
public sealed class Keithley4200ADriver : ChipDriver<Keithley4200ASettings>
{
    /// <summary>
    /// Ceilings of the setup. Voltage: 10 V, the 4225-PMU's 10 V range (the SMU forms inside it too); current: 100 mA, the
    /// 4200-SMU's largest range and inside the 7174A card's 1 A carry rating; pulse width: 1 µs (a 707B path distorts shorter
    /// pulses; the PMU itself reaches 60 ns) to 1 s (the PMU's longest, 4225-PMU datasheet "Pulse width").
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = HardwareMaxima.Uniform(voltageV: 10, complianceA: 0.1, minPulseWidthSeconds: 1e-6, maxPulseWidthSeconds: 1);

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("analyzer", "string", "VISA resource or alias of the 4200A-SCS's KXCI (LAN: TCPIP0::host::1225::SOCKET, messages end with NUL)"),
        new("smuChannel", "integer", "The SMU (KXCI SMUn) that forms and reads; through its RPM when a PMU is present", "1"),
        new("pmuChannel", "integer|\"auto\"", "The 4225-PMU channel (1 or 2) whose RPM carries the SMU; \"auto\": channel 1 when a PMU answers :PMU:INIT at connect; omit when no PMU is present (SET/RESET pulses are then refused)"),
        new("readMode", "smu|pmu", "Reads as DC on the SMU (DV, TI) or as one pulse at the read voltage on the PMU (spot mean of the pulse top); pmu needs a PMU", "smu"),
        new("readPulseWidthSeconds", "number", "Width of a pulsed read (readMode pmu): within the driver's 1 µs – 1 s and at most chip.safety.maxPulseWidthSeconds", "1e-05"),
        .. MatrixArraySettings.Declared("the RPM/SMU output (force)", "the SMU's common (LO)", "Current limit (DV compliance) during reads"),
    ];

    public override Keithley4200ASettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly(["analyzer", "smuChannel", "pmuChannel", "readMode", "readPulseWidthSeconds", .. MatrixArraySettings.SettingNames]);
        if (!settings.Has("matrix"))
        {
            throw settings.Error("matrix", "keithley-4200a needs a matrix in front of the array (a 4200A alone on one device is not supported yet)");
        }

        var detect = settings.Has("pmuChannel") && settings.Element.GetProperty("pmuChannel").ValueKind == JsonValueKind.String;
        if (detect && settings.String("pmuChannel") != "auto")
        {
            throw settings.Error("pmuChannel", $"'{settings.String("pmuChannel")}' is not 1, 2 or \"auto\"");
        }

        var readMode = settings.Enum("readMode", Keithley4200AReadMode.Smu);
        if (readMode == Keithley4200AReadMode.Pmu && !settings.Has("pmuChannel"))
        {
            throw settings.Error("readMode", "pmu reads need a 4225-PMU: set pmuChannel (1, 2 or \"auto\")");
        }

        return new Keithley4200ASettings
        {
            Analyzer = settings.String("analyzer"),
            SmuChannel = settings.Int("smuChannel", 1, 1, 9),
            PmuChannel = settings.Has("pmuChannel") && !detect ? settings.Int("pmuChannel", 1, 2) : null,
            DetectPmu = detect,
            ReadMode = readMode,
            ReadPulseWidthSeconds = settings.Double("readPulseWidthSeconds", Keithley4200ASettings.DefaultReadPulseWidthSeconds, SetupMaxima.MinPulseWidthSeconds, SetupMaxima.MaxPulseWidthSeconds),
            Array = MatrixArraySettings.Parse(settings, SetupMaxima.MaxComplianceA),
        };
    }

    public override Task<IChip> ConnectAsync(Keithley4200ASettings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> (tests pass a recording factory to assert the bytes on the wire).</summary>
    public async Task<IChip> ConnectAsync(Keithley4200ASettings settings, DriverContext context, ITransportFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var options = TransportOptions.FromConfig(context.Config.Transport);
        var resolved = settings with { Array = settings.Array.WithReadCompliance(context.Config.Chip.Safety) };
        var safety = context.Config.Chip.Safety;
        if (settings.ReadMode == Keithley4200AReadMode.Pmu && settings.ReadPulseWidthSeconds > safety.MaxPulseWidthSeconds)
        {
            // Checked before anything is opened: no read pulse may outlast the configured width limit.
            throw new ConfigException("chip.settings.readPulseWidthSeconds", $"{settings.ReadPulseWidthSeconds:G6} s exceeds chip.safety.maxPulseWidthSeconds {safety.MaxPulseWidthSeconds:G6} s");
        }

        var analyzer = await Analyzer.OpenAsync(context.Config.Instruments.Resolve(settings.Analyzer), options with { Terminator = 0 }, context.Logger, factory, cancellationToken).ConfigureAwait(false);
        Keithley707B? matrix = null;
        try
        {
            matrix = await Keithley707B.OpenAsync(context.Config.Instruments.Resolve(resolved.Array.Matrix), options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
            return await Keithley4200AChip.OpenAsync(analyzer, matrix, resolved, TimeSpan.FromSeconds(context.Config.Transport.TimeoutSeconds), context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (matrix is not null)
            {
                await matrix.Session.DisposeAsync().ConfigureAwait(false);
            }

            await analyzer.Session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
