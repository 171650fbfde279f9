using CimHil.Core.Chip;

namespace CimHil.Emulator;

// PCM physics. Statistics from Nandakumar et al. (ICECS 2019, IEDM 2019) and Joshi et al. (Nat. Commun. 11, 2473, 2020)
// as implemented in IBM aihwkit, src/aihwkit/inference/noise/pcm.py (PCMLikeNoiseModel); pulse model: docs/emulator.md.
public sealed partial class EmulatedChip
{
    /// <summary>G_p plus the part of the programming error δ that has developed since the last pulse.</summary>
    private double PcmNoiseReference(int i, double t)
    {
        var dt = t - _lastProgramSeconds[i];
        var settle = -double.ExpM1(-dt / _settings.Pcm.ProgrammingSettleSeconds);
        return _stable[i] + (_transient[i] * settle);
    }

    private double PcmConductance(int i, double t)
    {
        // G(t) = G_prog · ((t_since + t0) / t0)^(−ν): aihwkit apply_drift_noise_to_conductance, t0 = 20 s.
        var m = _settings.Pcm;
        var dt = Math.Max(0, t - _lastProgramSeconds[i]);
        var g = PcmNoiseReference(i, t);
        var nu = _nu[i];
        return nu == 0 ? Math.Max(0, g) : Math.Max(0, g * Math.Pow((dt + m.DriftT0Seconds) / m.DriftT0Seconds, -nu));
    }

    private void PcmPulse(int i, ulong k, double t, ProgramPulse pulse)
    {
        var m = _settings.Pcm;
        var g0 = PcmConductance(i, t);
        double gp;
        if (pulse.Polarity == PulsePolarity.Set)
        {
            // Partial SET: crystallisation grows with overdrive above the threshold and (sub-linearly) with width,
            // and saturates at the fully crystalline conductance; each increment is stochastic (cycle-to-cycle σ).
            var overdrive = pulse.AmplitudeV - _p.SetThresholdV[i];
            var ceiling = _p.MaxS[i];
            if (overdrive <= 0 || g0 >= ceiling)
            {
                return;
            }

            var drive = _p.SetRate[i] * overdrive * Math.Pow(pulse.WidthSeconds / ReferenceWidthSeconds, m.WidthExponent);
            var dg = (ceiling - g0) * -double.ExpM1(-drive) * CycleFactor(i, k, m.CycleToCycleSigma, 0);
            gp = Math.Min(g0 + dg, ceiling);
        }
        else
        {
            // RESET melts the active volume and quenches it amorphous: all or nothing above the melt voltage.
            if (pulse.AmplitudeV < _p.ResetThresholdV[i])
            {
                return;
            }

            gp = _p.MinS[i] * Math.Max(0.1, CycleFactor(i, k, m.CycleToCycleSigma, 0));
        }

        // Programming error: the published σ_prog(G) is measured after iterative programming, so the emulator lets the
        // error δ ~ N(0, σ_prog(G_p)) develop after the last pulse (time constant programmingSettleSeconds) where a
        // verify read right after the pulse cannot see and correct it. G is clipped at 0 like aihwkit does.
        var delta = m.ProgrammingSigmaS(gp) * CounterRng.Normal(_seed, CounterRng.Stream.Pulse, i, (k * 4) + 2);
        delta = Math.Max(delta, -gp);
        _stable[i] = gp;
        _transient[i] = delta;
        _lastProgramSeconds[i] = t;

        // ν is drawn per cell from the state-dependent normal law via the cell's fixed score z (device-to-device).
        _nu[i] = m.DriftNu(gp + delta, _p.DriftZ[i]);
    }
}
