using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Maps stuck cells: strong SET pulses then a row read, strong RESET pulses then a row read, for every cell.</summary>
[CharacterizationProcedure(ProcedureNames.StuckMap, Order = 2)]
public sealed class StuckMapProcedure : CharacterizationProcedure<StuckMapSpec>
{
    public override PlanUse Uses => PlanUse.ReadVoltage;

    public override StuckMapSpec Parse(JsonSection section) => StuckMapSpec.Parse(section);

    public override void Review(StuckMapSpec spec, PlanReview review)
    {
        var set = review.Pulse("stuckMap.set", PulsePolarity.Set, spec.SetPulse);
        var reset = review.Pulse("stuckMap.reset", PulsePolarity.Reset, spec.ResetPulse);
        review.Preview(review.CellCount, "cell", (long)review.CellCount * 2 * spec.Pulses, [set, reset, review.ReadStimulus]);
    }

    public override async Task RunAsync(StuckMapSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var (chip, name, v) = (context.Chip, context.Name, context.ReadVoltageV);
        var resume = context.Resume();
        var cols = chip.Geometry.Columns;
        using var batch = context.Store.BeginBatch();
        for (var row = 0; row < chip.Geometry.Rows; row++)
        {
            var r0 = row;
            if (Enumerable.Range(0, cols).All(c => resume.IsDone(r0, c, 0)))
            {
                continue;
            }

            var seq = Enumerable.Range(0, cols).Select(c => resume.NextSeq(r0, c, 0)).ToArray();
            var set = new double[cols];
            var reset = new double[cols];
            foreach (var (polarity, pulseSpec, role, into) in new[] { (PulsePolarity.Set, spec.SetPulse, MeasurementRoles.Set, set), (PulsePolarity.Reset, spec.ResetPulse, MeasurementRoles.Reset, reset) })
            {
                var pulse = pulseSpec.ToPulse(polarity);
                for (var col = 0; col < cols; col++)
                {
                    for (var k = 0; k < spec.Pulses; k++)
                    {
                        // An uncertain pulse is recorded as such; the row read below is its read-back.
                        var c0 = col;
                        await RecordedPulse.ApplyAsync(chip, new CellAddress(row, col), pulse, () => new RecordKey(name, r0, c0, 0, seq[c0]++), role, v, batch, cancellationToken).ConfigureAwait(false);
                    }
                }

                var read = await chip.ReadRowAsync(row, v, cancellationToken).ConfigureAwait(false);
                for (var col = 0; col < cols; col++)
                {
                    into[col] = read.ConductanceS(row, col);
                    batch.Add(Measurement.FromRead(new RecordKey(name, row, col, 0, seq[col]++), role, v, read.CurrentA(row, col), read.Timestamp));
                }
            }

            // A cell is stuck ON when even full RESET leaves it above the row's log-midpoint between the typical SET and
            // RESET levels, stuck OFF when even full SET leaves it below (the bit-map test of Chen et al., IEEE TCAD 36(7), 2017).
            var mid = Math.Sqrt(CellSampling.Median(set) * Math.Max(CellSampling.Median(reset), 1e-15));
            for (var col = 0; col < cols; col++)
            {
                var outcome = reset[col] > mid ? ProcedureNames.StuckOn : set[col] < mid ? ProcedureNames.StuckOff : ProcedureNames.Ok;
                batch.Complete(new UnitResult { Key = new UnitKey(name, row, col, 0), Outcome = outcome, ValueS = outcome == ProcedureNames.StuckOn ? reset[col] : set[col], Pulses = 2 * spec.Pulses });
            }

            context.Commit(batch, resume.DoneCount, chip.Geometry.CellCount);
        }
    }
}
