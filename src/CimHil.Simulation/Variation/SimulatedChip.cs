using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>
/// One simulated chip: the mapped network programmed once with its fixed variation (programming error, stuck-at cells,
/// drift to the inference time, or the plain Gaussian model), from which each inference batch reads its weights
/// (with fresh read noise). Everything random derives from (seed, chip index[, batch index]).
/// </summary>
/// <remarks>
/// What is random comes from the spec's <see cref="IDeviceNoiseModel"/> (equations with each model). W is linear in the
/// conductances, W = Σ_s c_s(G⁺_s − G⁻_s), and the devices' read noise is independent and Gaussian, so for the whole-weight
/// path (<see cref="EffectiveWeights"/>) the 2·S device draws of a weight are drawn as the one Gaussian they sum to:
/// W_r = W(t) + σ_W·N(0,1), σ_W² = Σ_s c_s²(σ_r(G⁺_s)² + σ_r(G⁻_s)²) — the same distribution with 2·S times fewer draws.
/// The tiled path (<see cref="SliceWeights"/>) quantises each slice separately and so still draws per device.
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
            _readSigma = new Lazy<LayerConductances[]>(() => conductances.Select(g => ReadSigma(spec.Noise, g)).ToArray());
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
        var weightReadSigma = spec.HasReadNoise ? new float[n][] : null;
        float[][]? offsets = null;
        var factors = new double[n];
        for (var l = 0; l < n; l++)
        {
            var layer = mapped.Layers[l];
            var g = layer.Targets.Clone();
            var programmed = spec.Noise.Program(layer, g, spec, rng);
            factors[l] = programmed.OutputFactor;
            if (programmed.WeightOffset is { } dw)
            {
                (offsets ??= new float[n][])[l] = dw;
            }

            if (weightReadSigma is not null)
            {
                weightReadSigma[l] = WeightReadSigma(layer, ReadSigma(spec.Noise, g));
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

    /// <summary>
    /// The weights this chip holds with no read noise: its programmed (and drifted, stuck-at) conductances decoded, plus the
    /// Gaussian weight offset and the drift-compensation factor — <see cref="EffectiveWeights"/> without the per-batch draw.
    /// </summary>
    public float[][] ProgrammedWeights()
    {
        var weights = new float[Mapped.Layers.Count][];
        for (var l = 0; l < weights.Length; l++)
        {
            weights[l] = Mapped.Layers[l].Decode(Conductances[l]);
            Finish(l, weights[l]);
        }

        return weights;
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

    /// <summary>σ_W of every weight of a layer: √(Σ_s c_s²(σ⁺_s² + σ⁻_s²)) from the devices' read σ (class remarks).</summary>
    private static float[] WeightReadSigma(MappedLayer layer, LayerConductances sigma)
    {
        var result = new float[sigma.WeightCount];
        for (var i = 0; i < result.Length; i++)
        {
            var variance = 0.0;
            for (var s = 0; s < sigma.SliceCount; s++)
            {
                var c = layer.Coefficients[s][i];
                var sp = sigma.Plus[s][i];
                var sm = sigma.Minus[s][i];
                variance += c * c * ((sp * sp) + (sm * sm));
            }

            result[i] = (float)Math.Sqrt(variance);
        }

        return result;
    }

    private static LayerConductances ReadSigma(IDeviceNoiseModel noise, LayerConductances g)
    {
        var sigma = new LayerConductances(g.SliceCount, g.WeightCount);
        for (var s = 0; s < g.SliceCount; s++)
        {
            noise.ReadNoiseSigma(g.Plus[s], sigma.Plus[s]);
            noise.ReadNoiseSigma(g.Minus[s], sigma.Minus[s]);
        }

        return sigma;
    }
}
