using CimHil.Instruments.DriverSupport;

namespace CimHil.Drivers.Keithley2600B;

/// <summary>The <c>chip.settings</c> of the keithley-2600b driver.</summary>
public sealed record Keithley2600BSettings
{
    /// <summary>VISA resource (or alias) of the Keithley 2600B (TSP command set).</summary>
    public required string Smu { get; init; }

    /// <summary>The matrix, the array, its cabling and the read current limit; null when the 2600B drives one device alone.</summary>
    public MatrixArraySettings? Array { get; init; }

    /// <summary>The single device when there is no matrix; null behind a matrix.</summary>
    public Keithley2600BDevice? Device { get; init; }
}
