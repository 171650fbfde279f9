using CimHil.Core.Numerics;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Robustness;

/// <summary>
/// A source of additive weight noise ΔW for noise-injection training: one array per weighted layer
/// (<see cref="Network.WeightedLayers"/> order, each [OutputCount·FanIn]), drawn for the network's current weights.
/// </summary>
public interface IWeightNoise
{
    /// <summary>Short description for logs and checkpoint metadata.</summary>
    string Describe();

    /// <summary>ΔW for every weighted layer of <paramref name="network"/>; <paramref name="seed"/> fixes the draw.</summary>
    float[][] Sample(Network network, ulong seed);
}

/// <summary>
/// Plain Gaussian weight noise ΔW = N(0, (σ_rel·max|W_layer|)²): the weight-domain form used by Yan et al.
/// (ICCAD 2022/2023; MariusAnje/CIM_Noise scales unit normals by weight.abs().max()), same as
/// <see cref="GaussianDomain.Weight"/> in the Monte-Carlo evaluator.
/// </summary>
public sealed class GaussianWeightNoise : IWeightNoise
{
    /// <summary>Noise with relative standard deviation <paramref name="sigmaRelative"/> (≥ 0).</summary>
    public GaussianWeightNoise(double sigmaRelative)
    {
        if (!(sigmaRelative >= 0) || !double.IsFinite(sigmaRelative))
        {
            throw new ArgumentOutOfRangeException(nameof(sigmaRelative), sigmaRelative, $"relative σ {sigmaRelative} must be a finite number ≥ 0");
        }

        SigmaRelative = sigmaRelative;
    }

    /// <summary>σ relative to the layer's max|W|.</summary>
    public double SigmaRelative { get; }

    /// <inheritdoc />
    public string Describe() => FormattableString.Invariant($"gaussian σ_rel={SigmaRelative:G4}");

    /// <inheritdoc />
    public float[][] Sample(Network network, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        var rng = new SimulationRng(seed);
        return network.WeightedLayers.Select(l =>
        {
            var s = SigmaRelative * Norms.MaxAbs(l.Weight.Data);
            var d = new float[l.Weight.Length];
            for (var i = 0; i < d.Length; i++)
            {
                d[i] = (float)(s * rng.NextGaussian());
            }

            return d;
        }).ToArray();
    }
}

/// <summary>
/// Right-censored Gaussian weight noise (Yan et al., "Improving realistic worst-case performance of NVCiM DNN accelerators
/// through training with right-censored Gaussian noise", ICCAD 2023, arXiv 2307.15853): z ~ N(0, σ²), values above the
/// threshold t are replaced by t (censored, not discarded), scaled like <see cref="GaussianWeightNoise"/> by max|W_layer|.
/// </summary>
public sealed class RightCensoredGaussianNoise : IWeightNoise
{
    /// <summary>Noise N(0, σ_rel²) censored at <paramref name="thresholdRelative"/> (both relative to the layer's max|W|).</summary>
    public RightCensoredGaussianNoise(double sigmaRelative, double thresholdRelative)
    {
        if (!(sigmaRelative >= 0) || !double.IsFinite(sigmaRelative))
        {
            throw new ArgumentOutOfRangeException(nameof(sigmaRelative), sigmaRelative, $"relative σ {sigmaRelative} must be a finite number ≥ 0");
        }

        if (double.IsNaN(thresholdRelative))
        {
            throw new ArgumentOutOfRangeException(nameof(thresholdRelative), thresholdRelative, "censoring threshold must be a number");
        }

        SigmaRelative = sigmaRelative;
        ThresholdRelative = thresholdRelative;
    }

    /// <summary>σ relative to the layer's max|W|.</summary>
    public double SigmaRelative { get; }

    /// <summary>Censoring threshold t relative to the layer's max|W| (+∞: plain Gaussian).</summary>
    public double ThresholdRelative { get; }

    /// <inheritdoc />
    public string Describe() => FormattableString.Invariant($"right-censored gaussian σ_rel={SigmaRelative:G4} t_rel={ThresholdRelative:G4}");

    /// <summary>One draw of min(σ·z, t), z standard normal.</summary>
    public static double Next(SimulationRng rng, double sigma, double threshold)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return Math.Min(sigma * rng.NextGaussian(), threshold);
    }

    /// <inheritdoc />
    public float[][] Sample(Network network, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        var rng = new SimulationRng(seed);
        return network.WeightedLayers.Select(l =>
        {
            var scale = (double)Norms.MaxAbs(l.Weight.Data);
            var d = new float[l.Weight.Length];
            for (var i = 0; i < d.Length; i++)
            {
                d[i] = (float)(scale * Next(rng, SigmaRelative, ThresholdRelative));
            }

            return d;
        }).ToArray();
    }
}

/// <summary>
/// Device-model noise through the CiM simulation: the network's current weights are mapped with
/// <paramref name="mapping"/> (<see cref="MappedNetwork.Map"/>), a chip is programmed with the variation spec's calibrated
/// device model or Gaussian model (<see cref="SimulatedChip.Program"/>), and ΔW = W_chip − W, so training sees quantisation,
/// programming error, read noise and stuck cells exactly as the Monte-Carlo evaluator does.
/// </summary>
public sealed class DeviceModelWeightNoise(VariationSpec spec, CimMappingOptions mapping) : IWeightNoise
{
    /// <summary>The variation sampled.</summary>
    public VariationSpec Spec { get; } = spec ?? throw new ArgumentNullException(nameof(spec));

    /// <summary>The mapping the chip uses.</summary>
    public CimMappingOptions Mapping { get; } = (mapping ?? throw new ArgumentNullException(nameof(mapping))).Validate();

    /// <inheritdoc />
    public string Describe() => $"device noise ({Spec.Describe()})";

    /// <inheritdoc />
    public float[][] Sample(Network network, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        var mapped = MappedNetwork.Map(network, Mapping, Spec.Window);
        var chip = SimulatedChip.Program(mapped, Spec, unchecked((long)seed), 0);
        var weights = network.WeightedLayers.Select(l => new float[l.Weight.Length]).ToArray();
        chip.EffectiveWeights(0, weights);
        for (var l = 0; l < weights.Length; l++)
        {
            System.Numerics.Tensors.TensorPrimitives.Subtract(weights[l], network.WeightedLayers[l].Weight.Data, weights[l]);
        }

        return weights;
    }
}
