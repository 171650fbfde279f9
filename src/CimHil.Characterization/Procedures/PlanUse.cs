namespace CimHil.Characterization.Procedures;

/// <summary>Which plan-wide settings a procedure applies, so the validator checks each of them once, before any procedure's own.</summary>
[Flags]
public enum PlanUse
{
    None = 0,

    /// <summary>Reads at the plan's <c>readVoltageV</c>.</summary>
    ReadVoltage = 1,

    /// <summary>Programs cells with the plan's <c>programVerify</c> settings (and so also reads at <c>readVoltageV</c>).</summary>
    ProgramVerify = 2 | ReadVoltage,
}
