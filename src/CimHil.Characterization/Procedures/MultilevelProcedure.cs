using CimHil.Characterization.Plans;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Device-to-device variation: program every (sampled) cell to each target and read it back.</summary>
[CharacterizationProcedure(ProcedureNames.Multilevel, Order = 4)]
public sealed class MultilevelProcedure : CharacterizationProcedure<MultilevelSpec>
{
    public override PlanUse Uses => PlanUse.ProgramVerify;

    public override MultilevelSpec Parse(JsonSection section) => MultilevelSpec.Parse(section);

    public override void Review(MultilevelSpec spec, PlanReview review)
    {
        var units = review.Sampled(spec.Sample) * spec.TargetsS.Length;
        review.Preview(units, "(cell, level)", units * review.MaxVerifyPulses, review.VerifyStimuli);
    }

    public override async Task RunAsync(MultilevelSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var cells = context.Sample(spec.Sample);
        var resume = context.Resume();
        using var batch = context.Store.BeginBatch();
        var total = cells.Count * spec.TargetsS.Length;
        for (var level = 0; level < spec.TargetsS.Length; level++)
        {
            var targetS = spec.TargetsS[level];
            foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
            {
                var todo = resume.Todo(row, level, _ => targetS);
                if (todo.Count == 0)
                {
                    continue;
                }

                var outcomes = await context.ProgramRowAsync(row.Key, todo, batch, cancellationToken).ConfigureAwait(false);
                ProgramVerifier.Complete(batch, context.Name, row.Key, outcomes);
                context.Commit(batch, resume.DoneCount, total);
            }
        }
    }
}
