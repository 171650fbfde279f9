namespace CimHil.Characterization.Procedures;

/// <summary>The stored names of the procedures, in the order a plan runs them.</summary>
public static class ProcedureNames
{
    public const string Forming = "forming";
    public const string StuckMap = "stuckMap";
    public const string IvSweep = "ivSweep";
    public const string Multilevel = "multilevel";
    public const string CycleToCycle = "cycleToCycle";
    public const string ReadNoise = "readNoise";
    public const string Drift = "drift";

    public static IReadOnlyList<string> InOrder { get; } = [Forming, StuckMap, IvSweep, Multilevel, CycleToCycle, ReadNoise, Drift];

    /// <summary>Unit outcomes.</summary>
    public const string Converged = "converged";
    public const string NotConverged = "not-converged";
    public const string StuckOn = "stuck-on";
    public const string StuckOff = "stuck-off";
    public const string Ok = "ok";
    public const string Formed = "formed";
    public const string NotFormed = "not-formed";
    public const string Read = "read";
}
