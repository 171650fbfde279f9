namespace CimHil.Characterization.Procedures;

/// <summary>
/// The stored role of a measurement record: what the pulse or read was for. Procedures write them and calibration,
/// reporting and the pipeline query them, so a typo fails to compile instead of selecting nothing.
/// </summary>
public static class MeasurementRoles
{
    /// <summary>A forming pulse.</summary>
    public const string Form = "form";

    /// <summary>The read-back of a forming pulse whose reply (and verdict) was lost.</summary>
    public const string FormReadback = "form-readback";

    /// <summary>The read-back of a programming pulse whose outcome the link left uncertain.</summary>
    public const string Readback = "readback";

    /// <summary>Stuck map: the strong SET pulses and the read after them.</summary>
    public const string Set = "set";

    /// <summary>Stuck map: the strong RESET pulses and the read after them.</summary>
    public const string Reset = "reset";

    /// <summary>An I–V sweep read.</summary>
    public const string Iv = "iv";

    /// <summary>Program-and-verify pulses and verify reads.</summary>
    public const string Verify = "verify";

    /// <summary>The reads after program-and-verify settled: the programmed value.</summary>
    public const string Final = "final";

    /// <summary>Cycle-to-cycle: the probe pulse and the reads after it.</summary>
    public const string Probe = "probe";

    /// <summary>Read noise: repeated reads without programming.</summary>
    public const string Noise = "noise";

    /// <summary>Drift: reads at the time points after programming.</summary>
    public const string Drift = "drift";
}
