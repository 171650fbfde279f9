using CimHil.Core.Chip;

namespace CimHil.Drivers.Keithley2600B;

/// <summary>
/// The single device a 2600B drives alone (no matrix): channel A across it; for a 1T1R cell, channel B on the gate of its
/// access transistor at <see cref="GateV"/> whenever channel A sources.
/// </summary>
public sealed record Keithley2600BDevice
{
    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    /// <summary>Gate voltage of a 1T1R cell for reads and for pulses that name none; null for a two-terminal device.</summary>
    public double? GateV { get; init; }

    /// <summary>Channel B's current limit on the gate (a gate draws only leakage).</summary>
    public double GateComplianceA { get; init; } = DefaultGateComplianceA;

    /// <summary>Current limit during reads; null means the configured <c>chip.safety.maxComplianceA</c>.</summary>
    public double? ReadComplianceA { get; init; }

    /// <summary>1 mA: far above a MOSFET gate's leakage, low enough that a shorted gate cannot be damaged.</summary>
    public const double DefaultGateComplianceA = 1e-3;
}
