using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>Forms every cell of a chip that needs it: a compliance-limited pulse, raised by a step until the cell forms.</summary>
[CharacterizationProcedure(ProcedureNames.Forming, Order = 1)]
public sealed class FormingProcedure : CharacterizationProcedure<FormingSpec>
{
    public override FormingSpec Parse(JsonSection section) => FormingSpec.Parse(section);

    public override void Review(FormingSpec spec, PlanReview review)
    {
        if (!review.Chip.Supports(ChipCapabilities.RequiresForming))
        {
            review.Preview(0, "cell", 0, [], "the chip needs no forming (no RequiresForming capability)");
            return;
        }

        // The ramp RunAsync applies: amplitudeV, +stepV while the cell has not formed, never above maxAmplitudeV.
        var steps = spec.StepV > 0 ? (int)Math.Floor((spec.MaxAmplitudeV + 1e-12 - spec.AmplitudeV) / spec.StepV) : 0;
        var last = spec.AmplitudeV + (steps * spec.StepV);
        var amplitudePath = steps > 0 ? "forming.maxAmplitudeV" : "forming.amplitudeV";
        if (review.Limits is { } l)
        {
            review.Check(amplitudePath, () => l.Check(new FormingPulse { AmplitudeV = last, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = l.MaxComplianceA }));
            review.Check("forming.widthSeconds", () => l.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = spec.WidthSeconds, ComplianceA = l.MaxComplianceA }));
            review.Check("forming.complianceA", () => l.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = spec.ComplianceA }));
            if (spec.GateVoltageV is { } g)
            {
                review.Check("forming.gateV", () => l.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = l.MaxComplianceA, GateVoltageV = g }));
            }
        }

        review.GateVoltage("forming.gateV", spec.GateVoltageV);
        var stimulus = new PlanStimulus("forming pulse", "forming", spec.AmplitudeV, last, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
        review.Preview(review.CellCount, "cell", (long)review.CellCount * (steps + 1), [stimulus]);
    }

    public override async Task RunAsync(FormingSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var chip = context.Chip;
        if (!chip.Supports(ChipCapabilities.RequiresForming))
        {
            context.Log.Information("Chip does not need forming; skipped");
            return;
        }

        var name = context.Name;
        var resume = context.Resume();
        var total = chip.Geometry.CellCount;
        using var batch = context.Store.BeginBatch();
        for (var row = 0; row < chip.Geometry.Rows; row++)
        {
            for (var col = 0; col < chip.Geometry.Columns; col++)
            {
                if (resume.IsDone(row, col, 0))
                {
                    continue;
                }

                var cell = new CellAddress(row, col);
                var amplitude = spec.AmplitudeV;
                var seq = resume.NextSeq(row, col, 0);
                var pulses = 0;
                var triesWithoutVerdict = 0;
                FormingResult result;
                while (true)
                {
                    var pulse = new FormingPulse { AmplitudeV = amplitude, WidthSeconds = spec.WidthSeconds, ComplianceA = spec.ComplianceA, GateVoltageV = spec.GateVoltageV };
                    var formed = await RecordedPulse.FormAsync(chip, cell, pulse, () => new RecordKey(name, cell.Row, cell.Column, 0, seq++), context.ReadVoltageV, batch, ++triesWithoutVerdict >= RecordedPulse.MaxSendsWhenNotApplied, cancellationToken).ConfigureAwait(false);
                    if (formed is null)
                    {
                        // The reply (and with it the verdict) was lost: the pulse and the read-back are recorded; the same
                        // amplitude is tried again, and its reply decides.
                        continue;
                    }

                    triesWithoutVerdict = 0;
                    result = formed;
                    pulses++;
                    if (result.Formed || spec.StepV <= 0 || amplitude + spec.StepV > spec.MaxAmplitudeV + 1e-12)
                    {
                        break;
                    }

                    amplitude += spec.StepV;
                }

                batch.Complete(new UnitResult { Key = new UnitKey(name, row, col, 0), Outcome = result.Formed ? ProcedureNames.Formed : ProcedureNames.NotFormed, Pulses = pulses });
            }

            context.Commit(batch, resume.DoneCount, total);
        }
    }
}
