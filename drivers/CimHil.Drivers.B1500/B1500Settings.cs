using CimHil.Instruments.DriverSupport;

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

    /// <summary>The matrix, the array, its cabling and the read current limit (realised as the WGFMU current range).</summary>
    public required MatrixArraySettings Array { get; init; }
}
