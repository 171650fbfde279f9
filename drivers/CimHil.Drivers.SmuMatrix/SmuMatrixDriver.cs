using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;

namespace CimHil.Drivers.SmuMatrix;

/// <summary>The <c>chip.settings</c> of the smu-matrix driver.</summary>
public sealed record SmuMatrixSettings
{
    /// <summary>VISA resource (or alias) of the Keithley 2450-class SMU.</summary>
    public required string Smu { get; init; }

    /// <summary>VISA resource (or alias) of the Keithley 707B-class matrix.</summary>
    public required string Matrix { get; init; }

    public required int Rows { get; init; }

    public required int Columns { get; init; }

    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    public MatrixCabling Wiring { get; init; } = new();

    /// <summary>Current limit during reads; null means the configured <c>chip.safety.maxComplianceA</c>.</summary>
    public double? ReadComplianceA { get; init; }
}

/// <summary>The classic probe station: one source-measure unit routed to the selected word/bit lines by a switch matrix.</summary>
[ChipDriver("smu-matrix", Description = "Keithley 2450-class SMU (SCPI) + 707B-class switch matrix (TSP) for passive and 1T1R arrays; no VMM")]
public sealed class SmuMatrixDriver : ChipDriver<SmuMatrixSettings>
{
    /// <summary>
    /// Ceilings of the setup. Voltages: the 2450's 20 V source range (2450 specifications), far above any RRAM/PCM need;
    /// current: 100 mA, the 2450 range that still allows 20 V and well inside the 7174A card's 1 A carry rating;
    /// pulse width: at least 1 ms, because a pulse is the SimpleLoop delay plus a measurement of ~0.2 ms at 0.01 NPLC
    /// (2450 reference manual, "Trigger model templates"), so shorter widths would be dominated by overhead.
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = new()
    {
        MaxSetVoltageV = 20,
        MaxResetVoltageV = 20,
        MaxFormVoltageV = 20,
        MaxReadVoltageV = 20,
        MaxGateVoltageV = 20,
        MaxComplianceA = 0.1,
        MaxPulseWidthSeconds = 10,
        MinPulseWidthSeconds = 1e-3,
    };

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("smu", "string", "VISA resource or alias of the Keithley 2450-class SMU (SCPI command set)"),
        new("matrix", "string", "VISA resource or alias of the Keithley 707B-class matrix (TSP command set)"),
        .. MatrixCabling.ArraySettings("the SMU force HI", "the SMU LO"),
        new("readComplianceA", "number", "Current limit during reads", "chip.safety.maxComplianceA"),
    ];

    public override SmuMatrixSettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly(["smu", "matrix", "rows", "columns", "technology", "readComplianceA", .. MatrixCabling.SettingNames]);
        var wiring = MatrixCabling.Parse(settings);
        double? readCompliance = settings.Has("readComplianceA") ? settings.Positive("readComplianceA") : null;
        if (readCompliance > SetupMaxima.MaxComplianceA)
        {
            throw settings.Error("readComplianceA", $"{readCompliance:G6} A exceeds the driver maximum {SetupMaxima.MaxComplianceA:G6} A");
        }

        return new SmuMatrixSettings
        {
            Smu = settings.String("smu"),
            Matrix = settings.String("matrix"),
            Rows = settings.Int("rows", 1, MatrixCabling.CardColumns),
            Columns = settings.Int("columns", 1, MatrixCabling.CardColumns),
            Technology = settings.Enum("technology", DeviceTechnology.Rram),
            Wiring = wiring,
            ReadComplianceA = readCompliance,
        };
    }

    public override Task<IChip> ConnectAsync(SmuMatrixSettings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> (tests pass a recording factory to assert the bytes on the wire).</summary>
    public async Task<IChip> ConnectAsync(SmuMatrixSettings settings, DriverContext context, ITransportFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var options = new TransportOptions { Config = context.Config.Transport };
        var readCompliance = settings.ReadComplianceA ?? context.Config.Chip.Safety.MaxComplianceA;
        if (readCompliance > context.Config.Chip.Safety.MaxComplianceA)
        {
            throw new ConfigException("chip.settings.readComplianceA", $"{readCompliance:G6} A exceeds chip.safety.maxComplianceA {context.Config.Chip.Safety.MaxComplianceA:G6} A");
        }

        var smu = await ScpiSession.OpenAsync(context.Config.Instruments.Resolve(settings.Smu), options, context.Logger, cancellationToken, factory).ConfigureAwait(false);
        ScpiSession? matrix = null;
        try
        {
            // The 707B speaks TSP: it has no SYST:ERR? to probe after a silent query, errors are read from errorqueue instead.
            matrix = await ScpiSession.OpenAsync(
                context.Config.Instruments.Resolve(settings.Matrix),
                options,
                context.Logger,
                cancellationToken,
                factory,
                new ScpiSessionOptions { ProbeErrorsOnSilentQuery = false }).ConfigureAwait(false);
            return await SmuMatrixChip.OpenAsync(smu, matrix, settings with { ReadComplianceA = readCompliance }, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (matrix is not null)
            {
                await matrix.DisposeAsync().ConfigureAwait(false);
            }

            await smu.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
