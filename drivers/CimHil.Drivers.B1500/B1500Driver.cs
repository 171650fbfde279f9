using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.B1500;

/// <summary>The <c>chip.settings</c> of the b1500 driver.</summary>
public sealed record B1500Settings
{
    /// <summary>VISA resource (or alias) of the B1500A mainframe (FLEX command set).</summary>
    public required string Mainframe { get; init; }

    /// <summary>Address the WGFMU instrument library opens (WGFMU_openSession); null = the mainframe's resource.</summary>
    public string? WgfmuAddress { get; init; }

    /// <summary>File of the B1530A instrument library; null = $CIMHIL_WGFMU_LIBRARY or the vendor's names.</summary>
    public string? WgfmuLibrary { get; init; }

    /// <summary>Mainframe slot of the B1530A (its channels are slot·100 + 1 and + 2).</summary>
    public int WgfmuSlot { get; init; } = 1;

    /// <summary>VISA resource (or alias) of the Keithley 707B-class matrix (TSP command set).</summary>
    public required string Matrix { get; init; }

    public required int Rows { get; init; }

    public required int Columns { get; init; }

    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    public MatrixCabling Wiring { get; init; } = new();

    /// <summary>Current limit during reads (realised as the WGFMU current range); null means <c>chip.safety.maxComplianceA</c>.</summary>
    public double? ReadComplianceA { get; init; }
}

/// <summary>Fast pulsed program/read with a B1530A WGFMU: channel 1 on the matrix HI row, channel 2 (current sampling) on LO.</summary>
[ChipDriver("b1500", Description = "Keysight B1500A (FLEX) + B1530A WGFMU (instrument library) + 707B-class matrix: fast pulses from 200 ns; no VMM")]
public sealed class B1500Driver : ChipDriver<B1500Settings>
{
    /// <summary>
    /// Ceilings of the setup. Voltages: the WGFMU's ±10 V output (B1530A user's guide, force voltage ranges); current: the
    /// 10 mA measurement range, its largest; pulse width: at least 200 ns so the flat top outlasts the two 100 ns ramps
    /// the driver uses, at most 10 s (the pattern sequencer allows far longer, a researcher's pulse does not need it).
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = new()
    {
        MaxSetVoltageV = 10,
        MaxResetVoltageV = 10,
        MaxFormVoltageV = 10,
        MaxReadVoltageV = 10,
        MaxGateVoltageV = 10,
        MaxComplianceA = 10e-3,
        MaxPulseWidthSeconds = 10,
        MinPulseWidthSeconds = 200e-9,
    };

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("mainframe", "string", "VISA resource or alias of the Keysight B1500A (FLEX command set)"),
        new("wgfmuAddress", "string", "Address the WGFMU instrument library opens", "the mainframe's resource"),
        new("wgfmuLibrary", "path", "The B1530A instrument library (wgfmu.dll / libwgfmu.so)", "$CIMHIL_WGFMU_LIBRARY, then the vendor's file names"),
        new("wgfmuSlot", "integer 1–10", "Mainframe slot of the B1530A", "1"),
        new("matrix", "string", "VISA resource or alias of the Keithley 707B-class matrix (TSP command set)"),
        .. MatrixCabling.ArraySettings("WGFMU channel 1 (the pulse)", "WGFMU channel 2 (0 V, measures the current)"),
        new("readComplianceA", "number", "Current limit during reads (picks the WGFMU current range)", "chip.safety.maxComplianceA"),
    ];

    public override B1500Settings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly(["mainframe", "wgfmuAddress", "wgfmuLibrary", "wgfmuSlot", "matrix", "rows", "columns", "technology", "readComplianceA", .. MatrixCabling.SettingNames]);
        double? readCompliance = settings.Has("readComplianceA") ? settings.Positive("readComplianceA") : null;
        if (readCompliance > SetupMaxima.MaxComplianceA)
        {
            throw settings.Error("readComplianceA", $"{readCompliance:G6} A exceeds the driver maximum {SetupMaxima.MaxComplianceA:G6} A");
        }

        if (readCompliance < WgfmuRanges.SmallestA)
        {
            throw settings.Error("readComplianceA", $"{readCompliance:G6} A is below the WGFMU's smallest current range ({WgfmuRanges.SmallestA:G6} A)");
        }

        return new B1500Settings
        {
            Mainframe = settings.String("mainframe"),
            WgfmuAddress = settings.Has("wgfmuAddress") ? settings.String("wgfmuAddress") : null,
            WgfmuLibrary = settings.Has("wgfmuLibrary") ? settings.String("wgfmuLibrary") : null,
            WgfmuSlot = settings.Int("wgfmuSlot", 1, 1, 10),
            Matrix = settings.String("matrix"),
            Rows = settings.Int("rows", 1, MatrixCabling.CardColumns),
            Columns = settings.Int("columns", 1, MatrixCabling.CardColumns),
            Technology = settings.Enum("technology", DeviceTechnology.Rram),
            Wiring = MatrixCabling.Parse(settings),
            ReadComplianceA = readCompliance,
        };
    }

    public override Task<IChip> ConnectAsync(B1500Settings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, path => new WgfmuLibrary(path), cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> and the WGFMU library from <paramref name="wgfmuFactory"/> (tests record the wire).</summary>
    public async Task<IChip> ConnectAsync(B1500Settings settings, DriverContext context, ITransportFactory factory, Func<string?, IWgfmu> wgfmuFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(wgfmuFactory);
        var options = new TransportOptions { Config = context.Config.Transport };
        var readCompliance = settings.ReadComplianceA ?? context.Config.Chip.Safety.MaxComplianceA;
        if (readCompliance > context.Config.Chip.Safety.MaxComplianceA)
        {
            throw new ConfigException("chip.settings.readComplianceA", $"{readCompliance:G6} A exceeds chip.safety.maxComplianceA {context.Config.Chip.Safety.MaxComplianceA:G6} A");
        }

        var mainframeResource = context.Config.Instruments.Resolve(settings.Mainframe);
        var mainframe = await ScpiSession.OpenAsync(
            mainframeResource, options, context.Logger, cancellationToken, factory, new ScpiSessionOptions { ErrorQuery = "ERRX?" }).ConfigureAwait(false);
        ScpiSession? matrix = null;
        IWgfmu? wgfmu = null;
        try
        {
            matrix = await ScpiSession.OpenAsync(
                context.Config.Instruments.Resolve(settings.Matrix), options, context.Logger, cancellationToken, factory,
                new ScpiSessionOptions { ProbeErrorsOnSilentQuery = false }).ConfigureAwait(false);
            wgfmu = wgfmuFactory(settings.WgfmuLibrary);
            var resolved = settings with
            {
                ReadComplianceA = readCompliance,
                WgfmuAddress = settings.WgfmuAddress is { } a ? context.Config.Instruments.Resolve(a) : mainframeResource,
            };
            return await B1500Chip.OpenAsync(mainframe, wgfmu, matrix, resolved, context.Config.Transport.TimeoutSeconds, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            wgfmu?.Dispose();
            if (matrix is not null)
            {
                await matrix.DisposeAsync().ConfigureAwait(false);
            }

            await mainframe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
