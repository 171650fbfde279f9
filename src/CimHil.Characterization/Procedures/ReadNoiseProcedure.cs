using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Read noise: program each sampled cell to one of the targets, then read it repeatedly without programming.</summary>
[CharacterizationProcedure(ProcedureNames.ReadNoise, Order = 6)]
public sealed class ReadNoiseProcedure : CharacterizationProcedure<ReadNoiseSpec>
{
    public override PlanUse Uses => PlanUse.ProgramVerify;

    public override ReadNoiseSpec Parse(JsonSection section) => ReadNoiseSpec.Parse(section);

    public override void Review(ReadNoiseSpec spec, PlanReview review)
    {
        var cells = review.Sampled(spec.Sample);
        review.Preview(cells, "cell", cells * review.MaxVerifyPulses, review.VerifyStimuli);
    }

    public override async Task RunAsync(ReadNoiseSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var (chip, name, v) = (context.Chip, context.Name, context.ReadVoltageV);
        var cells = context.Sample(spec.Sample);
        var resume = context.Resume();
        using var batch = context.Store.BeginBatch();
        var levelOf = CellSampling.LevelAssignment(cells, spec.TargetsS.Length);
        foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
        {
            // The unit's step is the cell's level, so each cell has one unit.
            var todo = resume.Todo(row, c => levelOf[c], c => spec.TargetsS[levelOf[c]]);
            if (todo.Count == 0)
            {
                continue;
            }

            var outcomes = await context.ProgramRowAsync(row.Key, todo, batch, cancellationToken).ConfigureAwait(false);
            var seq = outcomes.ToDictionary(o => o.Column, o => o.NextSeq);
            var block = ProgramVerifier.Span(row.Key, todo);
            for (var k = 0; k < spec.Reads; k++)
            {
                var read = await chip.ReadBlockAsync(block, v, cancellationToken).ConfigureAwait(false);
                foreach (var t in todo)
                {
                    batch.Add(Measurement.FromRead(new RecordKey(name, row.Key, t.Column, t.Step, seq[t.Column]++), MeasurementRoles.Noise, v, read.CurrentA(row.Key, t.Column), read.Timestamp, t.TargetS));
                }
            }

            ProgramVerifier.Complete(batch, name, row.Key, outcomes);
            context.Commit(batch, resume.DoneCount, cells.Count);
        }
    }
}
