using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;

namespace CimHil.Instruments.DriverSupport;

/// <summary>
/// The <c>chip.settings</c> every driver that reaches single cells through a 707B shares: the matrix, the array on one 7174A
/// card, its cabling and the read current limit. Declared and parsed once here; each driver adds its own instruments.
/// </summary>
public sealed record MatrixArraySettings
{
    /// <summary>VISA resource (or alias) of the Keithley 707B-class matrix (TSP command set).</summary>
    public required string Matrix { get; init; }

    public required int Rows { get; init; }

    public required int Columns { get; init; }

    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    public MatrixCabling Wiring { get; init; } = new();

    /// <summary>Current limit during reads; null means the configured <c>chip.safety.maxComplianceA</c>.</summary>
    public double? ReadComplianceA { get; init; }

    /// <summary>The setting names <see cref="Parse"/> reads.</summary>
    public static IReadOnlyList<string> SettingNames { get; } = ["matrix", "rows", "columns", "technology", "readComplianceA", .. MatrixCabling.SettingNames];

    /// <summary>
    /// The settings for <c>cimhil instruments list</c>, in the order a driver lists them: the matrix, the array and its
    /// cabling (HI and LO rows carry <paramref name="hiSource"/> and <paramref name="loSource"/>), the read limit.
    /// </summary>
    public static IReadOnlyList<DriverSetting> Declared(string hiSource, string loSource, string readComplianceMeaning) =>
    [
        new("matrix", "string", "VISA resource or alias of the Keithley 707B-class matrix (TSP command set)"),
        new("rows", "integer 1–12", "Word lines of the array (one 7174A card)"),
        new("columns", "integer 1–12", "Bit lines of the array (one 7174A card)"),
        new("technology", "rram | pcm", "Memory technology of the array", "rram"),
        .. MatrixCabling.Declared(hiSource, loSource),
        new("readComplianceA", "number", readComplianceMeaning, "chip.safety.maxComplianceA"),
    ];

    /// <summary>Reads the shared settings with JSON-path errors; a read limit above <paramref name="maxComplianceA"/> (the driver's) is refused.</summary>
    public static MatrixArraySettings Parse(JsonSection settings, double maxComplianceA)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var wiring = MatrixCabling.Parse(settings);
        double? readCompliance = settings.Has("readComplianceA") ? settings.Positive("readComplianceA") : null;
        if (readCompliance > maxComplianceA)
        {
            throw settings.Error("readComplianceA", $"{readCompliance:G6} A exceeds the driver maximum {maxComplianceA:G6} A");
        }

        return new MatrixArraySettings
        {
            Matrix = settings.String("matrix"),
            Rows = settings.Int("rows", 1, MatrixCabling.CardColumns),
            Columns = settings.Int("columns", 1, MatrixCabling.CardColumns),
            Technology = settings.Enum("technology", DeviceTechnology.Rram),
            Wiring = wiring,
            ReadComplianceA = readCompliance,
        };
    }

    /// <summary>These settings with the read limit resolved against <c>chip.safety</c>: defaulted to its maximum, refused above it.</summary>
    public MatrixArraySettings WithReadCompliance(SafetyLimits safety)
    {
        var readCompliance = ReadComplianceA ?? safety.MaxComplianceA;
        return readCompliance > safety.MaxComplianceA
            ? throw new ConfigException("chip.settings.readComplianceA", $"{readCompliance:G6} A exceeds chip.safety.maxComplianceA {safety.MaxComplianceA:G6} A")
            : this with { ReadComplianceA = readCompliance };
    }
}
