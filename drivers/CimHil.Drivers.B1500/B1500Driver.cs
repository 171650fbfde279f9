using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.B1500;

// The driver's namespace is also called B1500, so the instrument class goes by another name here.
using B1500Mainframe = CimHil.Instruments.Analyzer.B1500;

/// <summary>Fast pulsed program/read with a B1530A WGFMU: channel 1 on the matrix HI row, channel 2 (current sampling) on LO.</summary>
[ChipDriver("b1500", Description = "Keysight B1500A (FLEX) + B1530A WGFMU (instrument library) + 707B-class matrix: fast pulses from 200 ns; no VMM")]
public sealed class B1500Driver : ChipDriver<B1500Settings>
{
    /// <summary>
    /// Ceilings of the setup. Voltages: the WGFMU's ±10 V output (B1530A user's guide, force voltage ranges); current: the
    /// 10 mA measurement range, its largest; pulse width: at least 200 ns so the flat top outlasts the two 100 ns ramps
    /// the driver uses, at most 10 s (the pattern sequencer allows far longer, a researcher's pulse does not need it).
    /// </summary>
    public static SafetyLimits SetupMaxima { get; } = HardwareMaxima.Uniform(voltageV: 10, complianceA: 10e-3, minPulseWidthSeconds: 200e-9, maxPulseWidthSeconds: 10);

    public override SafetyLimits Maxima => SetupMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("mainframe", "string", "VISA resource or alias of the Keysight B1500A (FLEX command set)"),
        new("wgfmuAddress", "string", "Address the WGFMU instrument library opens", "the mainframe's resource"),
        new("wgfmuLibrary", "path", "The B1530A instrument library (wgfmu.dll / libwgfmu.so)", "$CIMHIL_WGFMU_LIBRARY, then the vendor's file names"),
        new("wgfmuSlot", "integer 1–10", "Mainframe slot of the B1530A", "1"),
        .. MatrixArraySettings.Declared("WGFMU channel 1 (the pulse)", "WGFMU channel 2 (0 V, measures the current)", "Current limit during reads (picks the WGFMU current range)"),
    ];

    public override B1500Settings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly(["mainframe", "wgfmuAddress", "wgfmuLibrary", "wgfmuSlot", .. MatrixArraySettings.SettingNames]);
        var array = MatrixArraySettings.Parse(settings, SetupMaxima.MaxComplianceA);
        if (array.ReadComplianceA < WgfmuRanges.SmallestA)
        {
            throw settings.Error("readComplianceA", $"{array.ReadComplianceA:G6} A is below the WGFMU's smallest current range ({WgfmuRanges.SmallestA:G6} A)");
        }

        return new B1500Settings
        {
            Mainframe = settings.String("mainframe"),
            WgfmuAddress = settings.OptionalString("wgfmuAddress"),
            WgfmuLibrary = settings.OptionalString("wgfmuLibrary"),
            WgfmuSlot = settings.Int("wgfmuSlot", 1, 1, 10),
            Array = array,
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
        var options = TransportOptions.FromConfig(context.Config.Transport);
        var array = settings.Array.WithReadCompliance(context.Config.Chip.Safety);
        var mainframeResource = context.Config.Instruments.Resolve(settings.Mainframe);
        var mainframe = await B1500Mainframe.OpenAsync(mainframeResource, options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
        Keithley707B? matrix = null;
        IWgfmu? wgfmu = null;
        try
        {
            matrix = await Keithley707B.OpenAsync(context.Config.Instruments.Resolve(settings.Array.Matrix), options, context.Logger, factory, cancellationToken).ConfigureAwait(false);
            wgfmu = wgfmuFactory(settings.WgfmuLibrary);
            var resolved = settings with
            {
                Array = array,
                WgfmuAddress = settings.WgfmuAddress is { } a ? context.Config.Instruments.Resolve(a) : mainframeResource,
            };
            return await B1500Chip.OpenAsync(mainframe, wgfmu, matrix, resolved, context.Config.Transport.TimeoutSeconds, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            wgfmu?.Dispose();
            if (matrix is not null)
            {
                await matrix.Session.DisposeAsync().ConfigureAwait(false);
            }

            await mainframe.Session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
