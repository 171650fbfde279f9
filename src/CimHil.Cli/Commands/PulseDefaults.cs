using CimHil.Core.Safety;

namespace CimHil.Cli.Commands;

/// <summary>
/// The pulse parameters a command uses when the user gives none: a nominal value, brought inside the connected chip's
/// limits (which the config load already keeps inside the driver's hardware maxima). A fixed 100 ns or 1 µs would be
/// refused by a bench whose shortest pulse is 1 ms (the smu-matrix bench).
/// </summary>
public static class PulseDefaults
{
    /// <summary>Nominal SET/RESET width: short enough for the RRAM emulator's switching model, the cimhil-board's default.</summary>
    public const double ProgramWidthSeconds = 100e-9;

    /// <summary>Nominal forming width: the 1 µs at which the emulator's forming voltage is specified (docs/emulator.md).</summary>
    public const double FormingWidthSeconds = 1e-6;

    /// <summary>Nominal forming amplitude: above the emulator's mean forming voltage (3.0 V) by two of its σ (0.15 V).</summary>
    public const double FormingAmplitudeV = 3.3;

    /// <summary>Nominal forming compliance: caps the filament's first current, as in 1T1R forming practice.</summary>
    public const double FormingComplianceA = 100e-6;

    /// <summary><paramref name="nominalSeconds"/> brought within the chip's pulse-width limits.</summary>
    public static double Width(SafetyLimits limits, double nominalSeconds)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return Math.Clamp(nominalSeconds, limits.MinPulseWidthSeconds, limits.MaxPulseWidthSeconds);
    }

    /// <summary>The text of a width option's description: the nominal value and that it fits the bench.</summary>
    public static string WidthDescription(double nominalSeconds) =>
        $"Pulse width in seconds (default {nominalSeconds:G3} s, brought within the chip's limits minPulseWidthSeconds…maxPulseWidthSeconds)";
}
