using CimHil.Characterization.Plans;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Base class that types a procedure's parsed plan section as <typeparamref name="TSpec"/>.</summary>
public abstract class CharacterizationProcedure<TSpec> : ICharacterizationProcedure
    where TSpec : class
{
    public virtual PlanUse Uses => PlanUse.None;

    public abstract TSpec Parse(JsonSection section);

    public abstract void Review(TSpec spec, PlanReview review);

    public abstract Task RunAsync(TSpec spec, ProcedureContext context, CancellationToken cancellationToken);

    object ICharacterizationProcedure.Parse(JsonSection section) => Parse(section);

    void ICharacterizationProcedure.Review(object spec, PlanReview review) => Review((TSpec)spec, review);

    Task ICharacterizationProcedure.RunAsync(object spec, ProcedureContext context, CancellationToken cancellationToken) =>
        RunAsync((TSpec)spec, context, cancellationToken);
}
