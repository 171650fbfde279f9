using CimHil.Instruments.DriverSupport;

namespace CimHil.Drivers.Keithley4200A;

/// <summary>The <c>chip.settings</c> of the keithley-4200a driver.</summary>
public sealed record Keithley4200ASettings
{
    /// <summary>The read pulse width when <c>readPulseWidthSeconds</c> is not given: 10 µs, long enough for the RPM's low ranges to settle.</summary>
    public const double DefaultReadPulseWidthSeconds = 10e-6;

    /// <summary>VISA resource (or alias) of the 4200A-SCS's KXCI (LAN: <c>TCPIP0::host::1225::SOCKET</c>, or GPIB).</summary>
    public required string Analyzer { get; init; }

    /// <summary>The SMU (1-based, KXCI's SMU1…) that forms and reads; its output reaches the matrix HI.</summary>
    public int SmuChannel { get; init; } = 1;

    /// <summary>The 4225-PMU channel whose RPM shares the SMU's output and plays SET/RESET pulses; null when no PMU is present.</summary>
    public int? PmuChannel { get; init; }

    /// <summary>True for <c>"pmuChannel": "auto"</c>: channel 1 when a 4225-PMU answers at connect, none otherwise.</summary>
    public bool DetectPmu { get; init; }

    /// <summary>DC reads on the SMU (default) or pulsed reads on the PMU.</summary>
    public Keithley4200AReadMode ReadMode { get; init; } = Keithley4200AReadMode.Smu;

    /// <summary>Width of a pulsed read (PMU read mode only).</summary>
    public double ReadPulseWidthSeconds { get; init; } = DefaultReadPulseWidthSeconds;

    /// <summary>The matrix, the array, its cabling and the read current limit.</summary>
    public required MatrixArraySettings Array { get; init; }
}
