using CimHil.Characterization.Procedures;

namespace CimHil.Characterization.Plans;

/// <summary>One section of a plan: the procedure that claimed it and the spec it parsed from it.</summary>
public sealed record PlannedProcedure(ProcedureRegistration Registration, object Spec)
{
    public string Name => Registration.Section;
}
