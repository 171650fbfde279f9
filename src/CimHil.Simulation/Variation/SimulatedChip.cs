using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>
/// One simulated chip: the mapped network programmed once with its fixed variation (programming error, stuck-at cells,
/// drift to the inference time, or the plain Gaussian model), from which each inference batch reads its weights
/// (with fresh read noise). Everything random derives from (seed, chip index[, batch index]).
/// </summary>
/// <remarks>
/// Equations (device model schema in src/CimHil.Core/Devices/DeviceVariationModel.cs, x = G/Gmax):
/// programming G_p = max(0, G_target + offset(x_t) + σ_p(x_t)·ε), ε of the fitted family with unit variance;
/// drift G(t) = G_p·(t/t0)^(−ν), ν ~ N(μ_ν(x_t), σ_ν(x_t)) per device (Nandakumar et al., IEDM 2019 / aihwkit PCM model);
/// stuck devices take the stuck conductance and neither receive programming error nor drift;
/// read noise G_r = G(t) + σ_r(x)·N(0,1), x = G(t)/Gmax, drawn once per device per inference batch. W is linear in the
/// conductances, W = Σ_s c_s(G⁺_s − G⁻_s), and the devices' read noise is independent and Gaussian, so for the whole-weight
/// path (<see cref="EffectiveWeights"/>) the 2·S device draws of a weight are drawn as the one Gaussian they sum to:
/// W_r = W(t) + σ_W·N(0,1), σ_W² = Σ_s c_s²(σ_r(x⁺_s)² + σ_r(x⁻_s)²) — the same distribution with 2·S times fewer draws.
/// The tiled path (<see cref="SliceWeights"/>) quantises each slice separately and so still draws per device.
/// Global drift compensation (aihwkit inference/compensation/drift.py, GlobalDriftCompensation): the periphery measures
/// the mean absolute output for a fixed read-out right after programming and at inference time and scales the layer output
/// by their ratio; with the identity read-out this ratio is Σ|W(t0)| / Σ|W(t)|, computed here from the noise-free
/// conductances (read noise averages out over the read-out).
/// </remarks>
public sealed class SimulatedChip
{
    private readonly ulong _streamSeed;
    private readonly float[][]? _weightOffsets;

    // With read noise: per layer the noise-free W(t) and σ_W of every weight (see remarks), fixed per chip; the per-device
    // σ_r is only needed by the tiled path and computed on first use.
    private readonly float[][]? _noiseFreeWeights;
    private readonly float[][]? _weightReadSigma;
    private readonly Lazy<LayerConductances[]>? _readSigma;

    private SimulatedChip(MappedNetwork mapped, VariationSpec spec, int chipIndex, ulong streamSeed, LayerConductances[] conductances, float[][]? weightReadSigma, float[][]? weightOffsets, double[] outputFactors)
    {
        if (weightReadSigma is not null)
        {
            _weightReadSigma = weightReadSigma;
            _noiseFreeWeights = mapped.Layers.Select((layer, l) => layer.Decode(conductances[l])).ToArray();
            var device = spec.Device!;
            _readSigma = new Lazy<LayerConductances[]>(() => conductances.Select(g =>
            {
                var sig = new LayerConductances(g.SliceCount, g.WeightCount);
                for (var s = 0; s < g.SliceCount; s++)
                {
                    ReadSigma(device, g.Plus[s], sig.Plus[s]);
                    ReadSigma(device, g.Minus[s], sig.Minus[s]);
                }

                return sig;
            }).ToArray());
        }

        Mapped = mapped;
        Spec = spec;
        ChipIndex = chipIndex;
        _streamSeed = streamSeed;
        Conductances = conductances;
        _weightOffsets = weightOffsets;
        OutputFactors = outputFactors;
    }

    /// <summary>The mapping this chip was programmed with.</summary>
    public MappedNetwork Mapped { get; }

    /// <summary>The variation applied.</summary>
    public VariationSpec Spec { get; }

    /// <summary>Index of this chip in its Monte-Carlo run.</summary>
    public int ChipIndex { get; }

    /// <summary>Conductances at inference time (after programming, stuck-at and drift; before read noise), per layer.</summary>
    public IReadOnlyList<LayerConductances> Conductances { get; }

    /// <summary>Digital output scale per layer (drift compensation; 1 otherwise).</summary>
    public IReadOnlyList<double> OutputFactors { get; }

    /// <summary>True when weights differ between inference batches (read noise).</summary>
    public bool VariesPerBatch => _weightReadSigma is not null;

    /// <summary>Programs chip <paramref name="chipIndex"/> of the run with seed <paramref name="seed"/>.</summary>
    public static SimulatedChip Program(MappedNetwork mapped, VariationSpec spec, long seed, int chipIndex)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(spec);
        var chipSeed = SimulationRng.Derive(seed, chipIndex);
        var rng = new SimulationRng(chipSeed);
        var n = mapped.Layers.Count;
        var conductances = new LayerConductances[n];
        var weightReadSigma = spec.HasReadNoise && spec.Device is not null ? new float[n][] : null;
        var offsets = spec.Gaussian is { Domain: GaussianDomain.Weight } ? new float[n][] : null;
        var factors = new double[n];
        Array.Fill(factors, 1.0);

        for (var l = 0; l < n; l++)
        {
            var layer = mapped.Layers[l];
            var g = layer.Targets.Clone();
            if (spec.Device is { } device)
            {
                var programmed = spec.DriftCompensation && spec.HasDrift ? new LayerConductances(g.SliceCount, g.WeightCount) : null;
                for (var s = 0; s < g.SliceCount; s++)
                {
                    ProgramDevices(device, spec, rng, g.Plus[s], programmed?.Plus[s]);
                    ProgramDevices(device, spec, rng, g.Minus[s], programmed?.Minus[s]);
                }

                if (programmed is not null)
                {
                    var before = SumAbs(layer.Decode(programmed));
                    var after = SumAbs(layer.Decode(g));
                    factors[l] = after > 0 ? before / after : 1.0;
                }

                if (weightReadSigma is not null)
                {
                    weightReadSigma[l] = WeightReadSigma(device, layer, g);
                }
            }
            else if (spec.Gaussian is { } gauss)
            {
                if (gauss.Domain == GaussianDomain.Conductance)
                {
                    var sd = gauss.SigmaRelative * layer.Window.SpanS;
                    for (var s = 0; s < g.SliceCount; s++)
                    {
                        AddNoise(rng, g.Plus[s], sd);
                        AddNoise(rng, g.Minus[s], sd);
                    }
                }
                else
                {
                    var w = layer.Layer.Weight.Data;
                    var maxAbs = 0f;
                    foreach (var v in w)
                    {
                        maxAbs = Math.Max(maxAbs, Math.Abs(v));
                    }

                    var sd = gauss.SigmaRelative * maxAbs;
                    var dw = new float[w.Length];
                    for (var i = 0; i < dw.Length; i++)
                    {
                        dw[i] = (float)(sd * rng.NextGaussian());
                    }

                    offsets![l] = dw;
                }
            }

            conductances[l] = g;
        }

        return new SimulatedChip(mapped, spec, chipIndex, chipSeed, conductances, weightReadSigma, offsets, factors);
    }

    /// <summary>
    /// The weight matrices this chip computes with for inference batch <paramref name="batchIndex"/> (read noise drawn from
    /// stream (chip, batch)), including the Gaussian weight offset and the drift-compensation factor; written into
    /// <paramref name="weights"/>[layer] (each [OutputCount·FanIn], caller-owned and reusable).
    /// </summary>
    public void EffectiveWeights(long batchIndex, float[][] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var rng = _weightReadSigma is null ? null : new SimulationRng(SimulationRng.Derive((long)_streamSeed, 1, batchIndex));
        for (var l = 0; l < Mapped.Layers.Count; l++)
        {
            var w = weights[l];
            if (rng is null)
            {
                Mapped.Layers[l].Decode(Conductances[l], w);
            }
            else
            {
                // One Gaussian per weight with the summed device variance (class remarks).
                var w0 = _noiseFreeWeights![l];
                var sigmaW = _weightReadSigma![l];
                for (var i = 0; i < w.Length; i++)
                {
                    w[i] = (float)(w0[i] + (sigmaW[i] * rng.NextGaussian()));
                }
            }

            Finish(l, w);
        }
    }

    // The Gaussian weight offset and the drift-compensation factor, with or without read noise.
    private void Finish(int l, float[] w)
    {
        if (_weightOffsets?[l] is { } dw)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(w, dw, w);
        }

        var f = OutputFactors[l];
        if (f != 1.0)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(w, (float)f, w);
        }
    }

    /// <summary>
    /// Per-slice weights W_s for the tiled forward of batch <paramref name="batchIndex"/> (read noise drawn per device,
    /// with the same statistics as <see cref="EffectiveWeights"/>); the Gaussian weight offset is carried by slice 0. The drift-compensation factor is
    /// not included: the periphery applies <see cref="OutputFactors"/> after the ADC.
    /// </summary>
    public float[][][] SliceWeights(long batchIndex)
    {
        var rng = _readSigma is null ? null : new SimulationRng(SimulationRng.Derive((long)_streamSeed, 1, batchIndex));
        var result = new float[Mapped.Layers.Count][][];
        for (var l = 0; l < Mapped.Layers.Count; l++)
        {
            var layer = Mapped.Layers[l];
            var g = Conductances[l];
            if (rng is not null)
            {
                var sig = _readSigma!.Value[l];
                var noisy = new LayerConductances(g.SliceCount, g.WeightCount);
                for (var i = 0; i < g.WeightCount; i++)
                {
                    for (var s = 0; s < g.SliceCount; s++)
                    {
                        noisy.Plus[s][i] = g.Plus[s][i] + (sig.Plus[s][i] * rng.NextGaussian());
                        noisy.Minus[s][i] = g.Minus[s][i] + (sig.Minus[s][i] * rng.NextGaussian());
                    }
                }

                g = noisy;
            }

            var slices = MappedNetwork.SliceWeights(layer, g);
            if (_weightOffsets?[l] is { } dw)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(slices[0], dw, slices[0]);
            }

            result[l] = slices;
        }

        return result;
    }

    private static void ProgramDevices(DeviceVariationModel device, VariationSpec spec, SimulationRng rng, double[] g, double[]? programmedCopy)
    {
        var maxS = device.Window.MaxS;
        var prog = device.Programming;
        var stuck = device.StuckAt;
        var useStuck = spec.StuckAt && (stuck.StuckOnRate > 0 || stuck.StuckOffRate > 0);
        var drift = spec.HasDrift ? device.Drift : null;
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
                    gp += (prog.OffsetS?.Evaluate(x) ?? 0) + (Math.Max(0, prog.SigmaS.Evaluate(x)) * rng.Next(prog.Family));
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

    /// <summary>σ_W of every weight of a layer: √(Σ_s c_s²(σ_r(x⁺_s)² + σ_r(x⁻_s)²)), x = G(t)/Gmax (class remarks).</summary>
    private static float[] WeightReadSigma(DeviceVariationModel device, MappedLayer layer, LayerConductances g)
    {
        var maxS = device.Window.MaxS;
        var sigma = device.ReadNoise.SigmaS;
        var result = new float[g.WeightCount];
        for (var i = 0; i < result.Length; i++)
        {
            var variance = 0.0;
            for (var s = 0; s < g.SliceCount; s++)
            {
                var c = layer.Coefficients[s][i];
                var sp = Math.Max(0, sigma.Evaluate(g.Plus[s][i] / maxS));
                var sm = Math.Max(0, sigma.Evaluate(g.Minus[s][i] / maxS));
                variance += c * c * ((sp * sp) + (sm * sm));
            }

            result[i] = (float)Math.Sqrt(variance);
        }

        return result;
    }

    private static void ReadSigma(DeviceVariationModel device, double[] g, double[] sigma)
    {
        var maxS = device.Window.MaxS;
        for (var i = 0; i < g.Length; i++)
        {
            sigma[i] = Math.Max(0, device.ReadNoise.SigmaS.Evaluate(g[i] / maxS));
        }
    }

    private static void AddNoise(SimulationRng rng, double[] g, double sd)
    {
        for (var i = 0; i < g.Length; i++)
        {
            g[i] += sd * rng.NextGaussian();
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
