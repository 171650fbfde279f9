using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>
/// The calibrated device model (a fitted <see cref="DeviceVariationModel"/>): programming error of the fitted family,
/// stuck-at cells, drift with optional global compensation, and conductance-dependent read noise. Each effect can be
/// switched off in <see cref="VariationSpec"/> for ablations.
/// </summary>
/// <remarks>
/// Equations (schema in src/CimHil.Core/Devices/DeviceVariationModel.cs, x = G/Gmax):
/// programming G_p = max(0, G_target + offset(x_t) + σ_p(x_t)·ε), ε of the fitted family with unit variance;
/// drift G(t) = G_p·(t/t0)^(−ν), ν ~ N(μ_ν(x_t), σ_ν(x_t)) per device (Nandakumar et al., IEDM 2019 / aihwkit PCM model);
/// stuck devices take the stuck conductance and neither receive programming error nor drift;
/// read noise σ_r(x), x = G(t)/Gmax. σ_p is the fitted polynomial at a measured level (so results there are as before) and,
/// where the model file has one, the smooth σ(G) curve (programming.sigmaOfG, linear or power law) at every other target:
/// a quadratic through a few levels can overshoot or go negative between and beyond them; the curve was fitted for that. Global drift compensation (aihwkit inference/compensation/drift.py,
/// GlobalDriftCompensation): the periphery measures the mean absolute output for a fixed read-out right after programming
/// and at inference time and scales the layer output by their ratio; with the identity read-out this ratio is
/// Σ|W(t0)| / Σ|W(t)|, computed here from the noise-free conductances (read noise averages out over the read-out).
/// </remarks>
public sealed record CalibratedNoiseModel(DeviceVariationModel Device) : IDeviceNoiseModel
{
    // Targets of the measured levels (sorted), where the polynomial σ keeps its old meaning.
    private readonly double[] _measuredTargetsS = [.. Device.Programming.Levels.Select(l => l.TargetS).Order()];

    /// <inheritdoc/>
    public ConductanceWindow? Window => Device.Window;

    /// <summary>σ of the programming error at a target: the polynomial at a measured level, else σ(G) where the model has it.</summary>
    public double ProgrammingSigmaS(double targetS)
    {
        var x = targetS / Device.Window.MaxS;
        if (Device.Programming.SigmaOfG is not { } curve || IsMeasuredLevel(targetS))
        {
            return Math.Max(0, Device.Programming.SigmaS.Evaluate(x));
        }

        return curve.Evaluate(x);
    }

    private bool IsMeasuredLevel(double targetS)
    {
        // A level "is measured" to within 1e-6 of the window (targets come back from weight mapping with rounding).
        var tolerance = 1e-6 * Device.Window.MaxS;
        var i = Array.BinarySearch(_measuredTargetsS, targetS);
        if (i >= 0)
        {
            return true;
        }

        i = ~i;
        return (i < _measuredTargetsS.Length && _measuredTargetsS[i] - targetS <= tolerance) || (i > 0 && targetS - _measuredTargetsS[i - 1] <= tolerance);
    }

    /// <inheritdoc/>
    public string Describe(VariationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"device model '{Device.Name}': {string.Join(", ", Effects(spec))}";
    }

    /// <summary>
    /// The effects a figure under <paramref name="spec"/> includes, named in every description (console, JSON, report):
    /// two accuracies of one model differ when their effects differ (the worst case's Monte-Carlo reference has
    /// programming error only, as its bound does), and the label is what says so.
    /// </summary>
    public IReadOnlyList<string> Effects(VariationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var effects = new List<string>();
        if (spec.ProgrammingError)
        {
            effects.Add("programming error");
        }

        effects.Add(HasReadNoise(spec) ? "read noise" : "no read noise");
        if (HasDrift(spec))
        {
            effects.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"drift at t = {spec.InferenceTimeSeconds:G4} s{(spec.DriftCompensation ? " compensated" : string.Empty)}"));
        }
        else
        {
            effects.Add("no drift");
        }

        effects.Add(spec.StuckAt && Device.StuckAt is { StuckOnRate: > 0 } or { StuckOffRate: > 0 } ? "stuck cells" : "no stuck cells");
        return effects;
    }

    /// <inheritdoc/>
    public bool HasReadNoise(VariationSpec spec) => spec is { ReadNoise: true } && Device.ReadNoise.SigmaS.Coefficients.Any(c => c != 0);

    /// <inheritdoc/>
    public bool HasDrift(VariationSpec spec) => Device.Drift is { } d && spec?.InferenceTimeSeconds is { } t && t > d.T0Seconds;

    /// <inheritdoc/>
    public ProgrammedLayer Program(MappedLayer layer, LayerConductances conductances, VariationSpec spec, SimulationRng rng)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(conductances);
        var g = conductances;
        var programmed = spec.DriftCompensation && HasDrift(spec) ? new LayerConductances(g.SliceCount, g.WeightCount) : null;
        for (var s = 0; s < g.SliceCount; s++)
        {
            ProgramDevices(spec, rng, g.Plus[s], programmed?.Plus[s]);
            ProgramDevices(spec, rng, g.Minus[s], programmed?.Minus[s]);
        }

        if (programmed is null)
        {
            return ProgrammedLayer.Exact;
        }

        var before = SumAbs(layer.Decode(programmed));
        var after = SumAbs(layer.Decode(g));
        return new ProgrammedLayer(null, after > 0 ? before / after : 1.0);
    }

    /// <inheritdoc/>
    public void ReadNoiseSigma(ReadOnlySpan<double> conductanceS, Span<double> sigmaS)
    {
        var maxS = Device.Window.MaxS;
        for (var i = 0; i < conductanceS.Length; i++)
        {
            sigmaS[i] = Math.Max(0, Device.ReadNoise.SigmaS.Evaluate(conductanceS[i] / maxS));
        }
    }

    // Per device, in this order: the stuck-at draw, the programming error, the drift exponent (the order is part of what a
    // seed means).
    private void ProgramDevices(VariationSpec spec, SimulationRng rng, double[] g, double[]? programmedCopy)
    {
        var maxS = Device.Window.MaxS;
        var prog = Device.Programming;
        var curve = prog.SigmaOfG;
        var stuck = Device.StuckAt;
        var useStuck = spec.StuckAt && (stuck.StuckOnRate > 0 || stuck.StuckOffRate > 0);
        var drift = HasDrift(spec) ? Device.Drift : null;
        var logTime = drift is null ? 0 : Math.Log(spec.InferenceTimeSeconds!.Value / drift.T0Seconds);

        // Drift exponents −ν·ln(t/t0) are gathered per device and exponentiated in one vectorised pass afterwards.
        var exponents = drift is null ? null : System.Buffers.ArrayPool<double>.Shared.Rent(g.Length);
        try
        {
            for (var i = 0; i < g.Length; i++)
            {
                var target = g[i];
                var x = target / maxS;
                if (exponents is not null)
                {
                    exponents[i] = 0;
                }

                if (useStuck)
                {
                    var u = rng.NextDouble();
                    if (u < stuck.StuckOnRate + stuck.StuckOffRate)
                    {
                        g[i] = u < stuck.StuckOnRate ? stuck.StuckOnConductanceS : stuck.StuckOffConductanceS;
                        if (programmedCopy is not null)
                        {
                            programmedCopy[i] = g[i];
                        }

                        continue;
                    }
                }

                var gp = target;
                if (spec.ProgrammingError)
                {
                    gp += (prog.OffsetS?.Evaluate(x) ?? 0) + ((curve is null ? Math.Max(0, prog.SigmaS.Evaluate(x)) : ProgrammingSigmaS(target)) * rng.Next(prog.Family));
                    gp = Math.Max(0, gp);
                }

                if (programmedCopy is not null)
                {
                    programmedCopy[i] = gp;
                }

                if (drift is not null)
                {
                    var nu = drift.NuMean.Evaluate(x) + (Math.Max(0, drift.NuSigma.Evaluate(x)) * rng.NextGaussian());
                    exponents![i] = -nu * logTime;
                }

                g[i] = gp;
            }

            if (exponents is not null)
            {
                var e = exponents.AsSpan(0, g.Length);
                System.Numerics.Tensors.TensorPrimitives.Exp(e, e);
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, e, g);
            }
        }
        finally
        {
            if (exponents is not null)
            {
                System.Buffers.ArrayPool<double>.Shared.Return(exponents);
            }
        }
    }

    private static double SumAbs(float[] w)
    {
        var s = 0.0;
        foreach (var v in w)
        {
            s += Math.Abs(v);
        }

        return s;
    }
}
