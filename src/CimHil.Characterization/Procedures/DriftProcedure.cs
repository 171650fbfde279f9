using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Drift and retention: program sampled cells to the targets, then read them at log-spaced times after programming.</summary>
[CharacterizationProcedure(ProcedureNames.Drift, Order = 7)]
public sealed class DriftProcedure : CharacterizationProcedure<DriftSpec>
{
    public override PlanUse Uses => PlanUse.ProgramVerify;

    public override DriftSpec Parse(JsonSection section) => DriftSpec.Parse(section);

    public override void Review(DriftSpec spec, PlanReview review)
    {
        var cells = review.Sampled(spec.Sample);
        review.Preview(cells * (spec.TimesSeconds.Length + 1), "(cell, step)", cells * review.MaxVerifyPulses, review.VerifyStimuli);
    }

    public override async Task RunAsync(DriftSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var (chip, name, v) = (context.Chip, context.Name, context.ReadVoltageV);
        var cells = context.Sample(spec.Sample);
        var resume = context.Resume();
        using var batch = context.Store.BeginBatch();
        var levelOf = CellSampling.LevelAssignment(cells, spec.TargetsS.Length);
        var total = cells.Count * (spec.TimesSeconds.Length + 1);
        var rows = cells.GroupBy(c => c.Row).OrderBy(g => g.Key).ToList();

        // Step 0 programs every sampled cell (the target level is the unit's target); steps 1..n are the time points.
        foreach (var row in rows)
        {
            var todo = resume.Todo(row, 0, c => spec.TargetsS[levelOf[c]]);
            if (todo.Count == 0)
            {
                continue;
            }

            var outcomes = await context.ProgramRowAsync(row.Key, todo, batch, cancellationToken, context.Plan.Verify with { SettleSeconds = 0, FinalReads = 1 }).ConfigureAwait(false);
            ProgramVerifier.Complete(batch, name, row.Key, outcomes);
            context.Commit(batch, resume.DoneCount, total);
        }

        var programmed = context.Store.LastPulseTimes(name, 0);
        var reference = programmed.Count > 0 ? programmed.Values.Max() : chip.Clock.Now;
        for (var k = 0; k < spec.TimesSeconds.Length; k++)
        {
            var step = k + 1;
            if (cells.All(c => resume.IsDone(c.Row, c.Column, step)))
            {
                continue;
            }

            var wait = reference + TimeSpan.FromSeconds(spec.TimesSeconds[k]) - chip.Clock.Now;
            if (wait > TimeSpan.Zero)
            {
                await chip.Clock.DelayAsync(wait, cancellationToken).ConfigureAwait(false);
            }

            foreach (var row in rows)
            {
                var todo = row.Where(c => !resume.IsDone(c.Row, c.Column, step)).ToList();
                if (todo.Count == 0)
                {
                    continue;
                }

                var block = ProgramVerifier.Span(row.Key, todo.Select(c => new VerifyTarget(c.Column, step, 0)).ToList());
                var sum = new double[todo.Count];
                for (var k2 = 0; k2 < spec.ReadsPerPoint; k2++)
                {
                    var read = await chip.ReadBlockAsync(block, v, cancellationToken).ConfigureAwait(false);
                    for (var j = 0; j < todo.Count; j++)
                    {
                        var c = todo[j];
                        double? elapsed = programmed.TryGetValue((c.Row, c.Column), out var t) ? (read.Timestamp - t).TotalSeconds : null;
                        var current = read.CurrentA(c.Row, c.Column);
                        sum[j] += current / v;
                        batch.Add(Measurement.FromRead(new RecordKey(name, c.Row, c.Column, step, resume.NextSeq(c.Row, c.Column, step) + k2), MeasurementRoles.Drift, v, current, read.Timestamp, spec.TargetsS[levelOf[c]], elapsed));
                    }
                }

                for (var j = 0; j < todo.Count; j++)
                {
                    var c = todo[j];
                    batch.Complete(new UnitResult { Key = new UnitKey(name, c.Row, c.Column, step), Outcome = ProcedureNames.Read, TargetS = spec.TargetsS[levelOf[c]], ValueS = sum[j] / spec.ReadsPerPoint });
                }
            }

            // One transaction per time point: on hardware a time point can be hours after the previous one.
            context.Commit(batch, resume.DoneCount, total);
        }
    }
}
