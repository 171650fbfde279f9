using CimHil.Instruments.DriverSupport;

namespace CimHil.Drivers.SmuMatrix;

/// <summary>The <c>chip.settings</c> of the smu-matrix driver.</summary>
public sealed record SmuMatrixSettings
{
    /// <summary>VISA resource (or alias) of the Keithley 2450-class SMU.</summary>
    public required string Smu { get; init; }

    /// <summary>The matrix, the array, its cabling and the read current limit.</summary>
    public required MatrixArraySettings Array { get; init; }
}
