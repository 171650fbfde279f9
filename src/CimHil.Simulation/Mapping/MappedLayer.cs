using CimHil.Core.Devices;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Mapping;

/// <summary>
/// Conductances of every device of one mapped layer: for each slice s a G⁺ and a G⁻ array laid out like the weight
/// matrix [OutputCount, FanIn] (row-major), in siemens.
/// </summary>
public sealed class LayerConductances
{
    /// <summary>Allocates zeroed arrays for <paramref name="slices"/> slices of <paramref name="weightCount"/> weights.</summary>
    public LayerConductances(int slices, int weightCount)
    {
        Plus = new double[slices][];
        Minus = new double[slices][];
        for (var s = 0; s < slices; s++)
        {
            Plus[s] = new double[weightCount];
            Minus[s] = new double[weightCount];
        }
    }

    /// <summary>G⁺ per slice, siemens.</summary>
    public double[][] Plus { get; }

    /// <summary>G⁻ per slice, siemens.</summary>
    public double[][] Minus { get; }

    /// <summary>Number of slices.</summary>
    public int SliceCount => Plus.Length;

    /// <summary>Weights per slice.</summary>
    public int WeightCount => Plus[0].Length;

    /// <summary>A deep copy.</summary>
    public LayerConductances Clone()
    {
        var c = new LayerConductances(SliceCount, WeightCount);
        CopyTo(c);
        return c;
    }

    /// <summary>Copies every conductance into <paramref name="target"/> (same geometry).</summary>
    public void CopyTo(LayerConductances target)
    {
        ArgumentNullException.ThrowIfNull(target);
        for (var s = 0; s < SliceCount; s++)
        {
            Plus[s].CopyTo(target.Plus[s], 0);
            Minus[s].CopyTo(target.Minus[s], 0);
        }
    }
}

/// <summary>
/// One weighted layer mapped to devices. The periphery recombines the devices linearly:
/// W[o,i] = Σ_s c_s[o,i]·(G⁺_s[o,i] − G⁻_s[o,i]), where c_s (weight units per siemens) carries the digital scale α and the
/// slice significance. Because W is linear in every conductance, ∂W/∂G⁺ = c and ∂W/∂G⁻ = −c exactly
/// (<see cref="ConductanceGradient"/>), which is what a worst-case search over Δg needs for the chain rule.
/// </summary>
/// <remarks>
/// Storing c per device (not one number per layer) keeps the type open to representations whose scale varies per weight,
/// e.g. the bi-scale "analog floating point" format of Wan et al. (arXiv 2008.02400), where each weight picks one of two
/// scales: such a <see cref="WeightEncoding"/> only has to fill different coefficients.
/// </remarks>
public sealed class MappedLayer
{
    internal MappedLayer(IWeightedLayer layer, ConductanceWindow window, LayerConductances targets, double[][] coefficients, float[] scales, float[] nominalWeight)
    {
        Layer = layer;
        Window = window;
        Targets = targets;
        Coefficients = coefficients;
        Scales = scales;
        NominalWeight = nominalWeight;
    }

    /// <summary>The network layer this mapping belongs to.</summary>
    public IWeightedLayer Layer { get; }

    /// <summary>Layer path, e.g. "conv1".</summary>
    public string Path => Layer.Path;

    /// <summary>Rows of the weight matrix (crossbar columns): output features / channels.</summary>
    public int OutputCount => Layer.OutputCount;

    /// <summary>Columns of the weight matrix (crossbar rows): fan-in.</summary>
    public int FanIn => Layer.FanIn;

    /// <summary>Number of device slices per weight and sign.</summary>
    public int SliceCount => Targets.SliceCount;

    /// <summary>Number of physical devices: 2 · slices · weights.</summary>
    public long DeviceCount => 2L * SliceCount * Targets.WeightCount;

    /// <summary>The conductance window the targets lie in.</summary>
    public ConductanceWindow Window { get; }

    /// <summary>Programming targets (the ideal conductances), siemens.</summary>
    public LayerConductances Targets { get; }

    /// <summary>c_s[o,i] = ∂W[o,i]/∂G⁺_s[o,i] = −∂W[o,i]/∂G⁻_s[o,i], weight units per siemens; [slice][o·FanIn + i].</summary>
    public double[][] Coefficients { get; }

    /// <summary>The digital scale α per weight-matrix row (all equal for a per-layer scale).</summary>
    public float[] Scales { get; }

    /// <summary>W decoded from the targets: the quantised weight the chip holds without any variation, [OutputCount·FanIn].</summary>
    public float[] NominalWeight { get; }

    /// <summary>W = Σ_s c_s ⊙ (G⁺_s − G⁻_s) for arbitrary conductances (same geometry), written into <paramref name="weight"/>.</summary>
    public void Decode(LayerConductances conductances, Span<float> weight)
    {
        ArgumentNullException.ThrowIfNull(conductances);
        var n = Targets.WeightCount;
        if (conductances.SliceCount != SliceCount || conductances.WeightCount != n || weight.Length != n)
        {
            throw new ArgumentException($"Layer '{Path}': conductances of {conductances.SliceCount}×{conductances.WeightCount} or weight of {weight.Length} do not match the mapping ({SliceCount} slices × {n} weights).");
        }

        for (var i = 0; i < n; i++)
        {
            var w = 0.0;
            for (var s = 0; s < SliceCount; s++)
            {
                w += Coefficients[s][i] * (conductances.Plus[s][i] - conductances.Minus[s][i]);
            }

            weight[i] = (float)w;
        }
    }

    /// <summary>W decoded from arbitrary conductances as a new array.</summary>
    public float[] Decode(LayerConductances conductances)
    {
        var w = new float[Targets.WeightCount];
        Decode(conductances, w);
        return w;
    }

    /// <summary>
    /// Chain rule through the mapping: given ∂L/∂W [OutputCount·FanIn], fills ∂L/∂G⁺_s = c_s ⊙ ∂L/∂W and
    /// ∂L/∂G⁻_s = −c_s ⊙ ∂L/∂W (loss units per siemens).
    /// </summary>
    public void ConductanceGradient(ReadOnlySpan<float> lossGradientWeight, LayerConductances gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        var n = Targets.WeightCount;
        if (lossGradientWeight.Length != n || gradient.SliceCount != SliceCount || gradient.WeightCount != n)
        {
            throw new ArgumentException($"Layer '{Path}': gradient buffers do not match the mapping ({SliceCount} slices × {n} weights).");
        }

        for (var s = 0; s < SliceCount; s++)
        {
            var c = Coefficients[s];
            var gp = gradient.Plus[s];
            var gm = gradient.Minus[s];
            for (var i = 0; i < n; i++)
            {
                var g = c[i] * lossGradientWeight[i];
                gp[i] = g;
                gm[i] = -g;
            }
        }
    }
}
