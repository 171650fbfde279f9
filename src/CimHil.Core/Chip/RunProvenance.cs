using CimHil.Core.Config;

namespace CimHil.Core.Chip;

/// <summary>
/// Provenance of a run: which chip, driver, instruments, config and software took it. One type for every layer: the
/// measurement store keeps it with the run, calibration copies it into a device model, the report shows it.
/// </summary>
public sealed record RunProvenance
{
    public required ChipIdentity Chip { get; init; }

    public required ArrayGeometry Geometry { get; init; }

    public required bool VirtualClock { get; init; }

    public required string Driver { get; init; }

    /// <summary>Instrument identities (IDN lines or resource strings), as known to the caller.</summary>
    public IReadOnlyList<string> Instruments { get; init; } = [];

    /// <summary><see cref="HilConfig.ContentHash"/> of the bench configuration, when there was one.</summary>
    public string? ConfigHash { get; init; }

    public required string SoftwareVersion { get; init; }

    /// <summary>The version of the CimHil assemblies (informational version; every CimHil assembly carries the same one).</summary>
    public static string CurrentSoftwareVersion =>
        typeof(RunProvenance).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(RunProvenance).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The provenance of a run on <paramref name="chip"/>, configured by <paramref name="config"/>.</summary>
    public static RunProvenance Of(IChip chip, HilConfig config)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(config);
        return new RunProvenance
        {
            Chip = chip.Identity,
            Geometry = chip.Geometry,
            VirtualClock = chip.Clock.IsVirtual,
            Driver = config.Chip.Driver,
            Instruments = [.. config.Instruments.Aliases.Select(kv => $"{kv.Key}={kv.Value}")],
            ConfigHash = config.ContentHash,
            SoftwareVersion = CurrentSoftwareVersion,
        };
    }
}
