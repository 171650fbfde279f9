using CimHil.Characterization.Plans;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// One characterisation procedure: it parses its own plan section, says what it would apply (and what the bench
/// forbids) before any pulse, and runs on the chip through a <see cref="ProcedureContext"/>. Found by
/// <see cref="ProcedureRegistry"/> through <see cref="CharacterizationProcedureAttribute"/>; most implement it through
/// <see cref="CharacterizationProcedure{TSpec}"/>, which types the spec.
/// </summary>
public interface ICharacterizationProcedure
{
    /// <summary>The plan-wide settings it applies; checked once for all procedures before each one's <see cref="Review"/>.</summary>
    PlanUse Uses { get; }

    /// <summary>Parses its plan section; a bad value throws a <see cref="ConfigException"/> at its JSON path.</summary>
    object Parse(JsonSection section);

    /// <summary>Adds what it would apply and every violation of the safety limits or chip capabilities; applies nothing.</summary>
    void Review(object spec, PlanReview review);

    /// <summary>Runs (or resumes) the procedure; units already completed in the store are skipped.</summary>
    Task RunAsync(object spec, ProcedureContext context, CancellationToken cancellationToken);
}
