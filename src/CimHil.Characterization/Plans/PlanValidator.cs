using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;
using CimHil.Core.Safety;

namespace CimHil.Characterization.Plans;

/// <summary>
/// Walks every stimulus a plan will apply — forming ramp up to its last amplitude, stuck-map pulses, I–V voltages,
/// the program-and-verify ranges, read voltages, probe pulses — and checks each against the safety limits (with
/// <see cref="SafeChip"/>'s own checks, so the rules are the ones every operation meets) and the chip's capabilities
/// and geometry. Runs before the first pulse: a plan that would be refused half-way is refused before it starts.
/// </summary>
public static class PlanValidator
{
    /// <summary>
    /// Checks <paramref name="plan"/> for <paramref name="chip"/>. The limits are <paramref name="limits"/>, else those of
    /// the <see cref="SafeChip"/> the chip is wrapped in; with neither only the capabilities and geometry are checked.
    /// </summary>
    public static PlanCheck Check(CharacterizationPlan plan, IChip chip, SafetyLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(chip);

        var gate = limits ?? chip.Unwrap<SafeChip>()?.Limits;
        return new Walk(plan, chip, gate).Run();
    }

    private sealed class Walk(CharacterizationPlan plan, IChip chip, SafetyLimits? gate)
    {
        private readonly List<PlanViolation> _violations = [];
        private readonly List<ProcedurePreview> _procedures = [];
        private readonly int _cells = chip.Geometry.CellCount;

        public PlanCheck Run()
        {
            var verifying = plan.Multilevel is not null || plan.CycleToCycle is not null || plan.ReadNoise is not null || plan.Drift is not null;
            var read = new PlanStimulus("read", "readVoltageV", plan.ReadVoltageV, plan.ReadVoltageV, null, null, null);
            if (verifying || plan.StuckMap is not null)
            {
                Read("readVoltageV", plan.ReadVoltageV);
            }

            var verify = new List<PlanStimulus>();
            if (verifying)
            {
                verify.Add(Ispp("programVerify.set", PulsePolarity.Set, plan.Verify.Set));
                verify.Add(Ispp("programVerify.reset", PulsePolarity.Reset, plan.Verify.Reset));
                verify.Add(read);
            }

            long maxVerify = plan.Verify.MaxPulses;
            if (plan.Forming is { } f)
            {
                Forming(f);
            }

            if (plan.StuckMap is { } s)
            {
                var set = Pulse("stuckMap.set", PulsePolarity.Set, s.SetPulse);
                var reset = Pulse("stuckMap.reset", PulsePolarity.Reset, s.ResetPulse);
                _procedures.Add(new ProcedurePreview(ProcedureNames.StuckMap, _cells, "cell", (long)_cells * 2 * s.Pulses, [set, reset, read]));
            }

            if (plan.IvSweep is { } iv)
            {
                IvSweep(iv);
            }

            if (plan.Multilevel is { } m)
            {
                var n = Sampled(m.Sample);
                _procedures.Add(new ProcedurePreview(ProcedureNames.Multilevel, n * m.TargetsS.Length, "(cell, level)", n * m.TargetsS.Length * maxVerify, verify));
            }

            if (plan.CycleToCycle is { } c)
            {
                var n = Sampled(c.Sample);
                var probe = Pulse("cycleToCycle.probe", c.ProbePolarity, c.Probe);
                _procedures.Add(new ProcedurePreview(ProcedureNames.CycleToCycle, n * c.Repeats, "(cell, repeat)", n * c.Repeats * (maxVerify + 1), [.. verify, probe with { Kind = $"probe {probe.Kind}" }]));
            }

            if (plan.ReadNoise is { } r)
            {
                var n = Sampled(r.Sample);
                _procedures.Add(new ProcedurePreview(ProcedureNames.ReadNoise, n, "cell", n * maxVerify, verify));
            }

            if (plan.Drift is { } d)
            {
                var n = Sampled(d.Sample);
                _procedures.Add(new ProcedurePreview(ProcedureNames.Drift, n * (d.TimesSeconds.Length + 1), "(cell, step)", n * maxVerify, verify));
            }

            return new PlanCheck(plan.Name, $"{chip.Identity} {chip.Geometry}", _procedures, _violations);
        }

        private void Forming(FormingSpec f)
        {
            if (!chip.Supports(ChipCapabilities.RequiresForming))
            {
                _procedures.Add(new ProcedurePreview(ProcedureNames.Forming, 0, "cell", 0, [], "the chip needs no forming (no RequiresForming capability)"));
                return;
            }

            // The ramp the characteriser applies: amplitudeV, +stepV while the cell has not formed, never above maxAmplitudeV.
            var steps = f.StepV > 0 ? (int)Math.Floor((f.MaxAmplitudeV + 1e-12 - f.AmplitudeV) / f.StepV) : 0;
            var last = f.AmplitudeV + (steps * f.StepV);
            var amplitudePath = steps > 0 ? "forming.maxAmplitudeV" : "forming.amplitudeV";
            if (gate is not null)
            {
                var l = gate;
                Try(amplitudePath, () => gate.Check(new FormingPulse { AmplitudeV = last, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = l.MaxComplianceA }));
                Try("forming.widthSeconds", () => gate.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = f.WidthSeconds, ComplianceA = l.MaxComplianceA }));
                Try("forming.complianceA", () => gate.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = f.ComplianceA }));
                if (f.GateVoltageV is { } g)
                {
                    Try("forming.gateV", () => gate.Check(new FormingPulse { AmplitudeV = 0, WidthSeconds = l.MinPulseWidthSeconds, ComplianceA = l.MaxComplianceA, GateVoltageV = g }));
                }
            }

            Gate("forming.gateV", f.GateVoltageV);
            var stimulus = new PlanStimulus("forming pulse", "forming", f.AmplitudeV, last, f.WidthSeconds, f.GateVoltageV, f.ComplianceA);
            _procedures.Add(new ProcedurePreview(ProcedureNames.Forming, _cells, "cell", (long)_cells * (steps + 1), [stimulus]));
        }

        private void IvSweep(IvSweepSpec iv)
        {
            for (var i = 0; i < iv.Cells.Length; i++)
            {
                if (!chip.Geometry.Contains(iv.Cells[i]))
                {
                    _violations.Add(new PlanViolation($"ivSweep.cells[{i}]", $"cell {iv.Cells[i]} is outside the {chip.Geometry} array"));
                }
            }

            for (var i = 0; i < iv.VoltagesV.Length; i++)
            {
                Read($"ivSweep.voltagesV[{i}]", iv.VoltagesV[i]);
            }

            var stimulus = new PlanStimulus("read", "ivSweep.voltagesV", iv.VoltagesV.Min(), iv.VoltagesV.Max(), null, null, null);
            _procedures.Add(new ProcedurePreview(ProcedureNames.IvSweep, iv.Cells.Distinct().Count(), "cell", 0, [stimulus]));
        }

        /// <summary>Program-and-verify pulses of one polarity: startV up to maxV (the plan's stated ceiling, reached or not).</summary>
        private PlanStimulus Ispp(string path, PulsePolarity polarity, IsppSpec spec)
        {
            Program(path, "maxV", polarity, spec.MaxV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
            return new PlanStimulus(Name(polarity), path, spec.StartV, spec.MaxV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
        }

        private PlanStimulus Pulse(string path, PulsePolarity polarity, PulseSpec spec)
        {
            Program(path, "amplitudeV", polarity, spec.AmplitudeV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
            return new PlanStimulus(Name(polarity), path, spec.AmplitudeV, spec.AmplitudeV, spec.WidthSeconds, spec.GateVoltageV, spec.ComplianceA);
        }

        /// <summary>
        /// Each quantity is checked on its own pulse, the others at values every limit allows, so every violation is
        /// reported at its own JSON key rather than only the first one SafeChip would meet.
        /// </summary>
        private void Program(string path, string amplitudeKey, PulsePolarity polarity, double maxAmplitudeV, double widthSeconds, double? gateV, double? complianceA)
        {
            if (gate is not null)
            {
                var safeWidth = gate.MinPulseWidthSeconds;
                Try($"{path}.{amplitudeKey}", () => gate.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = maxAmplitudeV, WidthSeconds = safeWidth }));
                Try($"{path}.widthSeconds", () => gate.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = widthSeconds }));
                if (gateV is { } g)
                {
                    Try($"{path}.gateV", () => gate.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = safeWidth, GateVoltageV = g }));
                }

                if (complianceA is { } c)
                {
                    Try($"{path}.complianceA", () => gate.Check(new ProgramPulse { Polarity = polarity, AmplitudeV = 0, WidthSeconds = safeWidth, ComplianceA = c }));
                }
            }

            Gate($"{path}.gateV", gateV);
        }

        private void Read(string path, double voltageV)
        {
            if (gate is not null)
            {
                Try(path, () => gate.CheckRead("read", voltageV));
            }
        }

        private void Gate(string path, double? gateV)
        {
            if (gateV is { } g && !chip.Supports(ChipCapabilities.GateVoltage))
            {
                _violations.Add(new PlanViolation(path, $"{chip.Identity.Model} cannot drive a gate (it lacks the GateVoltage capability), but the plan asks for {g:G6} V; leave gateV out for this bench"));
            }
        }

        private long Sampled(SampleSpec sample) => Math.Min(sample.Count ?? _cells, _cells);

        private void Try(string path, Action check)
        {
            try
            {
                check();
            }
            catch (Exception ex) when (ex is SafetyLimitException or ArgumentException)
            {
                _violations.Add(new PlanViolation(path, ex.Message));
            }
        }

        private static string Name(PulsePolarity polarity) => polarity == PulsePolarity.Set ? "SET pulse" : "RESET pulse";
    }
}
