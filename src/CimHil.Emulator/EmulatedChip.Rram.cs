using CimHil.Core.Chip;

namespace CimHil.Emulator;

// HfOx 1T1R RRAM physics. Equations and sources: docs/emulator.md, section "RRAM".
public sealed partial class EmulatedChip
{
    /// <summary>Width of the reference pulse the rate prefactors are quoted for.</summary>
    private const double ReferenceWidthSeconds = 1e-6;

    private double RramConductance(int i, double t)
    {
        if (!_formed[i])
        {
            return _p.PristineS[i];
        }

        // Short-term relaxation: a fraction of the last change decays with the cell's τ. A single exponential is a
        // first-order stand-in for the roughly log-time relaxation of analog HfOx states reported e.g. by
        // Zhao et al., "Investigation of statistical retention of filamentary analog RRAM for neuromorphic computing", IEDM 2017.
        var a = _transient[i];
        return a == 0 ? _stable[i] : _stable[i] + (a * Math.Exp(-(t - _lastProgramSeconds[i]) / _p.RelaxTauSeconds[i]));
    }

    /// <summary>
    /// The current the 1T1R cell can draw: the smaller of the external compliance and the access transistor's
    /// saturation current k/2·(V_g − V_t)² (square law); no gate voltage means the transistor is fully on.
    /// </summary>
    private double CurrentLimitA(int i, double? gateV, double? complianceA)
    {
        var limit = complianceA ?? double.PositiveInfinity;
        if (gateV is { } vg)
        {
            var overdrive = vg - _p.TransistorThresholdV[i];
            var isat = overdrive <= 0 ? 0 : 0.5 * _settings.Rram.TransistorGainAPerV2 * overdrive * overdrive;
            limit = Math.Min(limit, isat);
        }

        return limit;
    }

    /// <summary>The highest conductance a SET can reach under a current limit: G ≈ I_C / V_C (Ielmini, IEEE TED 58(12), 2011).</summary>
    private double SetCeilingS(int i, double limitA) => Math.Min(_p.MaxS[i], limitA / _settings.Rram.ComplianceVoltageV);

    private void RramPulse(int i, ulong k, double t, ProgramPulse pulse)
    {
        if (!_formed[i])
        {
            // No filament yet: the pristine oxide does not switch at programming voltages.
            return;
        }

        var r = _settings.Rram;
        var g0 = RramConductance(i, t);
        var widthFactor = Math.Pow(pulse.WidthSeconds / ReferenceWidthSeconds, r.WidthExponent);
        double g1;
        if (pulse.Polarity == PulsePolarity.Set)
        {
            var overdrive = pulse.AmplitudeV - _p.SetThresholdV[i];
            var ceiling = SetCeilingS(i, CurrentLimitA(i, pulse.GateVoltageV, pulse.ComplianceA));
            if (overdrive <= 0 || ceiling <= g0)
            {
                return;
            }

            // Threshold sinh rate law (field-assisted ion hopping: gap growth ∝ sinh(V/V0), as in the Stanford RRAM compact model,
            // Jiang et al., IEEE TED 63(5), 2016) with state-dependent saturation: each pulse closes a fraction 1 − e^(−drive)
            // of the gap to the ceiling, so steps shrink toward the window edge (the nonlinearity of HfOx pulse trains).
            var drive = _p.SetRate[i] * Math.Sinh(overdrive / r.RateVoltageScaleV) * widthFactor;
            var dg = (ceiling - g0) * -double.ExpM1(-drive) * CycleFactor(i, k, r.CycleToCycleSigma, 0);
            g1 = Math.Min(g0 + dg, ceiling);
        }
        else
        {
            var overdrive = pulse.AmplitudeV - _p.ResetThresholdV[i];
            var floor = _p.MinS[i];
            if (overdrive <= 0 || g0 <= floor || CurrentLimitA(i, pulse.GateVoltageV, null) <= 0)
            {
                return;
            }

            var drive = _p.ResetRate[i] * Math.Sinh(overdrive / r.RateVoltageScaleV) * widthFactor;
            var dg = (g0 - floor) * -double.ExpM1(-drive) * CycleFactor(i, k, r.CycleToCycleSigma, 0);
            g1 = Math.Max(g0 - dg, floor);
        }

        Program(i, k, t, g0, g1);
    }

    /// <summary>
    /// Records a programmed change g0 → g1: a fraction f of it relaxes away with τ afterwards, and the settled value
    /// scatters by N(0, (σ_relax·g1)²), hidden at first in the decaying part so a read right after the pulse sees g1.
    /// </summary>
    private void Program(int i, ulong k, double t, double g0, double g1)
    {
        var noise = _settings.Rram.RelaxationNoiseRelative * g1 * CounterRng.Normal(_seed, CounterRng.Stream.Pulse, i, (k * 4) + 3);
        var settled = Math.Max(g1 - (_p.RelaxFraction[i] * (g1 - g0)) + noise, 0);
        _stable[i] = settled;
        _transient[i] = g1 - settled;
        _lastProgramSeconds[i] = t;
    }

    private (double CurrentA, bool Formed) RramForm(int i, ulong k, double t, FormingPulse pulse)
    {
        var v = pulse.AmplitudeV;
        var limitA = CurrentLimitA(i, pulse.GateVoltageV, pulse.ComplianceA);
        switch (_p.Faults[i])
        {
            case CellFault.StuckOn:
                return (Math.Min(_p.StuckS[i] * v, limitA), true);
            case CellFault.StuckOff:
                return (_p.StuckS[i] * v, false);
        }

        // Forming is a soft dielectric breakdown, so the needed voltage falls with longer pulses (the voltage–time
        // trade-off of time-dependent dielectric breakdown); 0.1 V/decade is an order-of-magnitude default, not a fit.
        var decades = Math.Log10(pulse.WidthSeconds / ReferenceWidthSeconds);
        var needed = _p.FormingV[i] - (_settings.Rram.FormingVoltagePerDecadeV * decades);
        if (!_formed[i] && v < needed)
        {
            return (_p.PristineS[i] * v, false);
        }

        // The filament grows until the current limit stops it: G ≈ I_C / V_C, scattered from cycle to cycle.
        var g0 = RramConductance(i, t);
        var ceiling = SetCeilingS(i, limitA);
        var g1 = Math.Clamp(ceiling * Math.Max(0.5, CycleFactor(i, k, _settings.Rram.CycleToCycleSigma, 1)), _p.MinS[i], _p.MaxS[i]);
        if (_formed[i] && g1 <= g0)
        {
            // Re-forming an already formed cell acts like a strong SET: it never lowers the conductance.
            return (Math.Min(g0 * v, limitA), true);
        }

        _formed[i] = true;
        _stable[i] = g1;
        _transient[i] = 0;
        _lastProgramSeconds[i] = t;
        return (Math.Min(g1 * v, limitA), true);
    }
}
