using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// Every device of a mapped network in one array, the layout a resident search state keeps (docs/gpu.md): layer by layer,
/// and within a layer slice by slice, G⁺'s devices then G⁻'s, each [OutputCount·FanIn] row-major — the order in which
/// <see cref="PerturbationBox.RandomPoint"/> draws, so a random start is one upload. Coefficients c_s are [slice][weight] per
/// layer.
/// </summary>
public sealed class FlatDeviceLayout
{
    /// <summary>The layout of <paramref name="mapped"/>'s devices.</summary>
    public FlatDeviceLayout(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var layers = mapped.Layers;
        Weights = layers.Select(l => l.Targets.WeightCount).ToArray();
        Slices = layers.Select(l => l.SliceCount).ToArray();
        var offsets = new long[layers.Count];
        var coefficientOffsets = new long[layers.Count];
        long devices = 0, coefficients = 0;
        for (var l = 0; l < layers.Count; l++)
        {
            offsets[l] = devices;
            coefficientOffsets[l] = coefficients;
            devices += 2L * Slices[l] * Weights[l];
            coefficients += (long)Slices[l] * Weights[l];
        }

        Offsets = offsets;
        CoefficientOffsets = coefficientOffsets;
        Devices = devices;
        Coefficients = coefficients;
    }

    /// <summary>Weights per layer (n).</summary>
    public IReadOnlyList<int> Weights { get; }

    /// <summary>Slices per layer (S).</summary>
    public IReadOnlyList<int> Slices { get; }

    /// <summary>First device of each layer.</summary>
    public IReadOnlyList<long> Offsets { get; }

    /// <summary>First coefficient of each layer.</summary>
    public IReadOnlyList<long> CoefficientOffsets { get; }

    /// <summary>Devices in all.</summary>
    public long Devices { get; }

    /// <summary>Coefficients in all (one per weight and slice).</summary>
    public long Coefficients { get; }

    /// <summary>Position of G⁺ (or G⁻) of slice <paramref name="slice"/>, weight <paramref name="weight"/> of layer <paramref name="layer"/>.</summary>
    public long Index(int layer, int slice, bool plus, int weight) => Offsets[layer] + (((2L * slice) + (plus ? 0 : 1)) * Weights[layer]) + weight;

    /// <summary>Copies per-layer device arrays into the flat layout.</summary>
    public double[] Flatten(IReadOnlyList<LayerConductances> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var flat = new double[Devices];
        for (var l = 0; l < Weights.Count; l++)
        {
            for (var s = 0; s < Slices[l]; s++)
            {
                layers[l].Plus[s].CopyTo(flat.AsSpan((int)Index(l, s, true, 0), Weights[l]));
                layers[l].Minus[s].CopyTo(flat.AsSpan((int)Index(l, s, false, 0), Weights[l]));
            }
        }

        return flat;
    }

    /// <summary>Copies the flat layout back into per-layer device arrays.</summary>
    public void Unflatten(ReadOnlySpan<double> flat, IReadOnlyList<LayerConductances> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        for (var l = 0; l < Weights.Count; l++)
        {
            for (var s = 0; s < Slices[l]; s++)
            {
                flat.Slice((int)Index(l, s, true, 0), Weights[l]).CopyTo(layers[l].Plus[s]);
                flat.Slice((int)Index(l, s, false, 0), Weights[l]).CopyTo(layers[l].Minus[s]);
            }
        }
    }

    /// <summary>The mapping's coefficients c_s, [layer][slice][weight] in one array.</summary>
    public double[] FlattenCoefficients(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var flat = new double[Coefficients];
        for (var l = 0; l < Weights.Count; l++)
        {
            for (var s = 0; s < Slices[l]; s++)
            {
                mapped.Layers[l].Coefficients[s].CopyTo(flat.AsSpan((int)(CoefficientOffsets[l] + ((long)s * Weights[l])), Weights[l]));
            }
        }

        return flat;
    }
}
