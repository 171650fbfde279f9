using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;

namespace CimHil.Drivers.SmuMatrix;

/// <summary>The classic probe station: one source-measure unit routed to the selected word/bit lines by a switch matrix.</summary>
[ChipDriver("smu-matrix", Description = "Keithley 2450-class SMU (SCPI) + 707B-class switch matrix (TSP) for passive and 1T1R arrays; no VMM")]
public sealed class SmuMatrixDriver : ChipDriver<SmuMatrixSettings>
{
    /// <summary>
    /// Ceilings of the setup. Voltages: the 2450's 20 V source range (2450 specifications), far above any RRAM/PCM need;
    /// current: 100 mA, the 2450 range that still allows 20 V and well inside the 7174A card's 1 A carry rating;
    /// pulse width: at least 1 ms, because a pulse is the SimpleLoop delay plus a measurement of ~0.2 ms at 0.01 NPLC
    /// (2450 reference manual, "Trigger model templates"), so shorter widths would be dominated by overhead; at most 10 s.
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = HardwareMaxima.Uniform(voltageV: 20, complianceA: 0.1, minPulseWidthSeconds: 1e-3, maxPulseWidthSeconds: 10);

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("smu", "string", "VISA resource or alias of the Keithley 2450-class SMU (SCPI command set)"),
        .. MatrixArraySettings.Declared("the SMU force HI", "the SMU LO", "Current limit during reads"),
    ];

    public override SmuMatrixSettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly(["smu", .. MatrixArraySettings.SettingNames]);
        var array = MatrixArraySettings.Parse(settings, SetupMaxima.MaxComplianceA);
        return new SmuMatrixSettings { Smu = settings.String("smu"), Array = array };
    }

    public override Task<IChip> ConnectAsync(SmuMatrixSettings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> (tests pass a recording factory to assert the bytes on the wire).</summary>
    public async Task<IChip> ConnectAsync(SmuMatrixSettings settings, DriverContext context, ITransportFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var options = TransportOptions.FromConfig(context.Config.Transport);
        var resolved = settings with { Array = settings.Array.WithReadCompliance(context.Config.Chip.Safety) };
        var smu = await ScpiSession.OpenAsync(context.Config.Instruments.Resolve(settings.Smu), options, context.Logger, cancellationToken, factory).ConfigureAwait(false);
        Keithley707B? matrix = null;
        try
        {
            matrix = await Keithley707B.OpenAsync(context.Config.Instruments.Resolve(settings.Array.Matrix), options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
            return await SmuMatrixChip.OpenAsync(new Keithley2450(smu), matrix, resolved, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (matrix is not null)
            {
                await matrix.Session.DisposeAsync().ConfigureAwait(false);
            }

            await smu.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
