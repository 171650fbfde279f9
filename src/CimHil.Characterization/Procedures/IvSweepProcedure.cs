using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>DC I–V sweep: reads of the selected cells at each voltage of the plan (within the read limit).</summary>
[CharacterizationProcedure(ProcedureNames.IvSweep, Order = 3)]
public sealed class IvSweepProcedure : CharacterizationProcedure<IvSweepSpec>
{
    public override IvSweepSpec Parse(JsonSection section) => IvSweepSpec.Parse(section);

    public override void Review(IvSweepSpec spec, PlanReview review)
    {
        for (var i = 0; i < spec.Cells.Length; i++)
        {
            if (!review.Chip.Geometry.Contains(spec.Cells[i]))
            {
                review.Violation($"ivSweep.cells[{i}]", $"cell {spec.Cells[i]} is outside the {review.Chip.Geometry} array");
            }
        }

        for (var i = 0; i < spec.VoltagesV.Length; i++)
        {
            review.Read($"ivSweep.voltagesV[{i}]", spec.VoltagesV[i]);
        }

        var stimulus = new PlanStimulus("read", "ivSweep.voltagesV", spec.VoltagesV.Min(), spec.VoltagesV.Max(), null, null, null);
        review.Preview(spec.Cells.Distinct().Count(), "cell", 0, [stimulus]);
    }

    public override async Task RunAsync(IvSweepSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var (chip, name) = (context.Chip, context.Name);
        foreach (var cell in spec.Cells)
        {
            if (!chip.Geometry.Contains(cell))
            {
                throw new CellOutOfRangeException($"ivSweep cell {cell}", chip.Geometry);
            }
        }

        var resume = context.Resume();
        using var batch = context.Store.BeginBatch();
        foreach (var cell in spec.Cells.Distinct())
        {
            if (resume.IsDone(cell.Row, cell.Column, 0))
            {
                continue;
            }

            var seq = resume.NextSeq(cell.Row, cell.Column, 0);
            foreach (var v in spec.VoltagesV)
            {
                var r = await chip.ReadCellAsync(cell, v, cancellationToken).ConfigureAwait(false);
                batch.Add(Measurement.FromRead(new RecordKey(name, cell.Row, cell.Column, 0, seq++), MeasurementRoles.Iv, v, r.CurrentA, r.Timestamp));
            }

            batch.Complete(new UnitResult { Key = new UnitKey(name, cell.Row, cell.Column, 0), Outcome = ProcedureNames.Read });
            context.Commit(batch, resume.DoneCount, spec.Cells.Length);
        }
    }
}
