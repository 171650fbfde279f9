using CimHil.Instruments.DriverSupport;

namespace CimHil.Drivers.Keithley4200A;

/// <summary>The <c>chip.settings</c> of the keithley-4200a driver.</summary>
public sealed record Keithley4200ASettings
{
    /// <summary>VISA resource (or alias) of the 4200A-SCS's KXCI (LAN: <c>TCPIP0::host::1225::SOCKET</c>, or GPIB).</summary>
    public required string Analyzer { get; init; }

    /// <summary>The SMU (1-based, KXCI's SMU1…) that forms and reads; its output reaches the matrix HI.</summary>
    public int SmuChannel { get; init; } = 1;

    /// <summary>The 4225-PMU channel whose RPM shares the SMU's output and plays SET/RESET pulses; null when no PMU is present.</summary>
    public int? PmuChannel { get; init; }

    /// <summary>The matrix, the array, its cabling and the read current limit.</summary>
    public required MatrixArraySettings Array { get; init; }
}
