using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;
using CimHil.Core.Safety;

namespace CimHil.Characterization.Plans;

/// <summary>
/// What <see cref="PlanValidator"/> hands each procedure's <see cref="ICharacterizationProcedure.Review"/>: the chip,
/// the safety limits, the plan-wide stimuli, and the checks every stimulus meets (<see cref="SafetyLimits"/>' own, so the
/// rules are the ones every operation meets). Each check adds a violation at its JSON path instead of throwing, so a
/// plan is refused with every problem at once.
/// </summary>
public sealed class PlanReview
{
    private readonly List<PlanViolation> _violations = [];
    private readonly List<ProcedurePreview> _procedures = [];
    private string _procedure = string.Empty;

    internal PlanReview(CharacterizationPlan plan, IChip chip, SafetyLimits? limits)
    {
        Plan = plan;
        Chip = chip;
        Limits = limits;
        ReadStimulus = new PlanStimulus("read", "readVoltageV", plan.ReadVoltageV, plan.ReadVoltageV, null, null, null);
    }

    public CharacterizationPlan Plan { get; }

    public IChip Chip { get; }

    /// <summary>The safety limits whose checks apply; null when neither limits nor a <see cref="SafeChip"/> were given.</summary>
    public SafetyLimits? Limits { get; }

    public int CellCount => Chip.Geometry.CellCount;

    /// <summary>A read at the plan's read voltage.</summary>
    public PlanStimulus ReadStimulus { get; }

    /// <summary>What program-and-verify applies (SET and RESET ramps, verify reads); empty when no procedure programs to a target.</summary>
    public IReadOnlyList<PlanStimulus> VerifyStimuli { get; private set; } = [];

    /// <summary>The most pulses program-and-verify gives one cell.</summary>
    public long MaxVerifyPulses => Plan.Verify.MaxPulses;

    /// <summary>Records what the procedure being reviewed would apply.</summary>
    public void Preview(long units, string unitOf, long maxPulses, IReadOnlyList<PlanStimulus> stimuli, string? skipped = null) =>
        _procedures.Add(new ProcedurePreview(_procedure, units, unitOf, maxPulses, stimuli, skipped));

    /// <summary>Records a violation at <paramref name="jsonPath"/>.</summary>
    public void Violation(string jsonPath, string problem) => _violations.Add(new PlanViolation(jsonPath, problem));

    /// <summary>Runs one safety check; a refusal becomes a violation at <paramref name="jsonPath"/>.</summary>
    public void Check(string jsonPath, Action check)
    {
        try
        {
            check();
        }
        catch (Exception ex) when (ex is SafetyLimitException or ArgumentException)
        {
            Violation(jsonPath, ex.Message);
        }
    }

    /// <summary>A fixed pulse, checked; returns its stimulus.</summary>
    public PlanStimulus Pulse(string jsonPath, PulsePolarity polarity, PulseSpec spec)
    {
        Program(jsonPath, "amplitudeV", polarity, spec.AmplitudeV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
        return new PlanStimulus(Name(polarity), jsonPath, spec.AmplitudeV, spec.AmplitudeV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
    }

    /// <summary>A read at <paramref name="voltageV"/>, checked against the read limit.</summary>
    public void Read(string jsonPath, double voltageV)
    {
        if (Limits is { } limits)
        {
            Check(jsonPath, () => limits.CheckRead("read", voltageV));
        }
    }

    /// <summary>A gate voltage the plan asks for: a violation on a chip that cannot drive a gate.</summary>
    public void GateVoltage(string jsonPath, double? gateV)
    {
        if (gateV is { } g && !Chip.Supports(ChipCapabilities.GateVoltage))
        {
            Violation(jsonPath, $"{Chip.Identity.Model} cannot drive a gate (it lacks the GateVoltage capability), but the plan asks for {g:G6} V; leave gateV out for this bench");
        }
    }

    /// <summary>The cells a sampled procedure uses at most.</summary>
    public long Sampled(SampleSpec sample) => Math.Min(sample.Count ?? CellCount, CellCount);

    /// <summary>Checks the plan-wide settings the procedures use, once, before any procedure's own checks.</summary>
    internal void CheckPlanWide(PlanUse uses)
    {
        if (uses.HasFlag(PlanUse.ReadVoltage))
        {
            Read("readVoltageV", Plan.ReadVoltageV);
        }

        if (uses.HasFlag(PlanUse.ProgramVerify))
        {
            VerifyStimuli = [Ispp("programVerify.set", PulsePolarity.Set, Plan.Verify.Set), Ispp("programVerify.reset", PulsePolarity.Reset, Plan.Verify.Reset), ReadStimulus];
        }
    }

    internal void Begin(string procedure) => _procedure = procedure;

    internal PlanCheck Result() => new(Plan.Name, $"{Chip.Identity} {Chip.Geometry}", _procedures, _violations);

    /// <summary>Program-and-verify pulses of one polarity: startV up to maxV (the plan's stated ceiling, reached or not).</summary>
    private PlanStimulus Ispp(string jsonPath, PulsePolarity polarity, IsppSpec spec)
    {
        Program(jsonPath, "maxV", polarity, spec.MaxV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
        return new PlanStimulus(Name(polarity), jsonPath, spec.StartV, spec.MaxV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
    }

    /// <summary>
    /// Each quantity is checked on its own pulse, the others at values every limit allows, so every violation is
    /// reported at its own JSON key rather than only the first one SafeChip would meet.
    /// </summary>
    private void Program(string path, string amplitudeKey, PulsePolarity polarity, double maxAmplitudeV, double widthSeconds, double? gateV, double? complianceA)
    {
        if (Limits is { } limits)
        {
            var safeWidth = limits.MinPulseWidthSeconds;
            Check($"{path}.{amplitudeKey}", () => limits.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = maxAmplitudeV, WidthSeconds = safeWidth }));
            Check($"{path}.widthSeconds", () => limits.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = widthSeconds }));
            if (gateV is { } g)
            {
                Check($"{path}.gateV", () => limits.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = safeWidth, GateVoltageV = g }));
            }

            if (complianceA is { } c)
            {
                Check($"{path}.complianceA", () => limits.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = safeWidth, ComplianceA = c }));
            }
        }

        GateVoltage($"{path}.gateV", gateV);
    }

    private static string Name(PulsePolarity polarity) => polarity == PulsePolarity.Set ? "SET pulse" : "RESET pulse";
}
