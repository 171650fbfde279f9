using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>
/// One kind of stimulus a procedure applies ("SET pulse", "forming pulse", "read"): the amplitude range it spans
/// and the fixed width, gate voltage and compliance; null where the plan leaves it to the driver or safety default.
/// </summary>
public sealed record PlanStimulus(string Kind, string JsonPath, double MinAmplitudeV, double MaxAmplitudeV, double? WidthSeconds, double? GateVoltageV, double? ComplianceA);

/// <summary>What one procedure of a plan would apply: its units of work, the most pulses it may give, and its stimuli.</summary>
/// <param name="Units">Units of work; an upper bound where stuck or unformed cells are excluded at run time.</param>
/// <param name="MaxPulses">The most programming and forming pulses it can apply (every pulse budget used up).</param>
/// <param name="Skipped">Why the procedure will not run on this chip (forming on a chip that needs none), or null.</param>
public sealed record ProcedurePreview(string Procedure, long Units, string UnitOf, long MaxPulses, IReadOnlyList<PlanStimulus> Stimuli, string? Skipped = null);

/// <summary>One thing the plan would do that the bench forbids: the plan's JSON path and why, naming the value and the limit.</summary>
public sealed record PlanViolation(string JsonPath, string Problem)
{
    public override string ToString() => $"{JsonPath}: {Problem}";
}

/// <summary>The outcome of <see cref="PlanValidator"/>: what every procedure would apply, and every violation.</summary>
public sealed record PlanCheck(string PlanName, string Chip, IReadOnlyList<ProcedurePreview> Procedures, IReadOnlyList<PlanViolation> Violations)
{
    public bool IsValid => Violations.Count == 0;

    /// <summary>Throws <see cref="PlanValidationException"/> listing every violation; does nothing for a valid plan.</summary>
    public void ThrowIfInvalid(string source)
    {
        if (!IsValid)
        {
            throw new PlanValidationException(source, this);
        }
    }
}

/// <summary>
/// A plan asks for something the safety limits or the chip forbid; found before anything was sent to the chip.
/// A <see cref="ConfigException"/> (the plan file is wrong), at the first violation's JSON path; the message lists all.
/// </summary>
public sealed class PlanValidationException(string source, PlanCheck check)
    : ConfigException(check.Violations[0].JsonPath, Problems(check), source, $"{source}: plan '{check.PlanName}' cannot run on {check.Chip}; {Problems(check)}")
{
    public PlanCheck Check { get; } = check;

    private static string Problems(PlanCheck check) =>
        $"nothing was applied. {check.Violations.Count} problem(s):{string.Concat(check.Violations.Select(v => $"{Environment.NewLine}  {v}"))}";
}
