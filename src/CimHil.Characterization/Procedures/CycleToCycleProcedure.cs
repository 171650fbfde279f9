using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Cycle-to-cycle variation: repeatedly program a cell to the start target, apply one fixed probe pulse, read.</summary>
[CharacterizationProcedure(ProcedureNames.CycleToCycle, Order = 5)]
public sealed class CycleToCycleProcedure : CharacterizationProcedure<CycleToCycleSpec>
{
    public override PlanUse Uses => PlanUse.ProgramVerify;

    public override CycleToCycleSpec Parse(JsonSection section) => CycleToCycleSpec.Parse(section);

    public override void Review(CycleToCycleSpec spec, PlanReview review)
    {
        var units = review.Sampled(spec.Sample) * spec.Repeats;
        var probe = review.Pulse("cycleToCycle.probe", spec.ProbePolarity, spec.Probe);
        review.Preview(units, "(cell, repeat)", units * (review.MaxVerifyPulses + 1), [.. review.VerifyStimuli, probe with { Kind = $"probe {probe.Kind}" }]);
    }

    public override async Task RunAsync(CycleToCycleSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var (chip, name, v) = (context.Chip, context.Name, context.ReadVoltageV);
        var cells = context.Sample(spec.Sample);
        var resume = context.Resume();
        using var batch = context.Store.BeginBatch();
        var total = cells.Count * spec.Repeats;
        var probe = spec.Probe.ToPulse(spec.ProbePolarity);
        foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
        {
            for (var repeat = 0; repeat < spec.Repeats; repeat++)
            {
                var todo = resume.Todo(row, repeat, _ => spec.StartTargetS);
                if (todo.Count == 0)
                {
                    continue;
                }

                // Program to the same start state, then one identical probe pulse: the spread of its effect on one
                // cell over repeats is the cycle-to-cycle variation (Fantini et al., IMW 2013, §III).
                var outcomes = await context.ProgramRowAsync(row.Key, todo, batch, cancellationToken).ConfigureAwait(false);
                var seq = outcomes.ToDictionary(o => o.Column, o => o.NextSeq);
                foreach (var o in outcomes)
                {
                    // An uncertain probe is recorded as such; the probe reads below are its read-back.
                    var r = repeat;
                    await RecordedPulse.ApplyAsync(chip, new CellAddress(row.Key, o.Column), probe, () => new RecordKey(name, row.Key, o.Column, r, seq[o.Column]++), MeasurementRoles.Probe, v, batch, cancellationToken).ConfigureAwait(false);
                }

                var sum = new Dictionary<int, double>();
                for (var k = 0; k < spec.ProbeReads; k++)
                {
                    var read = await chip.ReadBlockAsync(ProgramVerifier.Span(row.Key, todo), v, cancellationToken).ConfigureAwait(false);
                    foreach (var o in outcomes)
                    {
                        var current = read.CurrentA(row.Key, o.Column);
                        sum[o.Column] = sum.GetValueOrDefault(o.Column) + (current / v);
                        batch.Add(Measurement.FromRead(new RecordKey(name, row.Key, o.Column, repeat, seq[o.Column]++), MeasurementRoles.Probe, v, current, read.Timestamp));
                    }
                }

                foreach (var o in outcomes)
                {
                    batch.Complete(new UnitResult
                    {
                        Key = new UnitKey(name, row.Key, o.Column, repeat),
                        Outcome = o.Converged ? ProcedureNames.Converged : ProcedureNames.NotConverged,
                        TargetS = o.TargetS,
                        ValueS = sum[o.Column] / spec.ProbeReads,
                        Pulses = o.Pulses + 1,
                    });
                }

                context.Commit(batch, resume.DoneCount, total);
            }
        }
    }
}
