using CimHil.Core.Devices;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Mapping;

/// <summary>
/// Every weighted layer of a network mapped to crossbar devices, plus the periphery (converter ranges) calibrated for it.
/// Mapping reads the network's current weights once; later changes to the network's weights are not seen.
/// </summary>
public sealed class MappedNetwork
{
    private MappedNetwork(Network network, CimMappingOptions options, ConductanceWindow window, IReadOnlyList<MappedLayer> layers)
    {
        Network = network;
        Options = options;
        Window = window;
        Layers = layers;
    }

    /// <summary>The mapped network (its biases and non-weighted layers stay digital).</summary>
    public Network Network { get; }

    /// <summary>Mapping settings.</summary>
    public CimMappingOptions Options { get; }

    /// <summary>The device conductance window.</summary>
    public ConductanceWindow Window { get; }

    /// <summary>Mapped layers in the network's forward order (same indices as <see cref="Network.WeightedLayers"/>).</summary>
    public IReadOnlyList<MappedLayer> Layers { get; }

    /// <summary>Converter ranges per layer, tile and slice; null until <see cref="CalibratePeriphery"/> ran.</summary>
    public PeripheryRanges? Ranges { get; private set; }

    /// <summary>Total number of devices (2 per slice per weight).</summary>
    public long DeviceCount => Layers.Sum(l => l.DeviceCount);

    /// <summary>Maps every weighted layer of <paramref name="network"/> into <paramref name="window"/>.</summary>
    public static MappedNetwork Map(Network network, CimMappingOptions options, ConductanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(window);
        var encoding = WeightEncoding.For(options);
        var layers = network.WeightedLayers.Select(l => encoding.Encode(l, window)).ToList();
        return new MappedNetwork(network, options, window, layers);
    }

    /// <summary>Per-layer weights decoded from the programming targets (no variation).</summary>
    public float[][] NominalWeights() => Layers.Select(l => l.NominalWeight).ToArray();

    /// <summary>A context whose forward uses the given per-layer weight matrices (index = layer index) and no periphery effects.</summary>
    public ForwardContext WeightContext(IReadOnlyList<float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var overrides = new WeightOverrides();
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i].Layer;
            overrides.Replace(layer, new Tensor(weights[i], layer.Weight.ShapeArray()));
        }

        return new ForwardContext { Weights = overrides };
    }

    /// <summary>
    /// Sets the DAC and ADC full-scale ranges from a calibration batch run with the nominal (quantised) weights:
    /// range = headroom × max magnitude per layer, tile and slice. Needed before a tiled forward with converters.
    /// </summary>
    public PeripheryRanges CalibratePeriphery(Tensor calibrationInputs)
    {
        ArgumentNullException.ThrowIfNull(calibrationInputs);
        var ranges = PeripheryRanges.Create(this);
        var crossbar = new CrossbarForward(this, ranges, calibrate: true);
        var ctx = crossbar.Context(Layers.Select(l => SliceWeights(l, l.Targets)).ToArray(), null);
        using (Tensor.NoGrad())
        {
            Network.Forward(calibrationInputs, ctx);
        }

        ranges.ApplyHeadroom(Options.RangeHeadroom);
        Ranges = ranges;
        return ranges;
    }

    /// <summary>Per-slice weight matrices W_s = c_s ⊙ (G⁺_s − G⁻_s) (their sum is the layer's weight), as float arrays.</summary>
    public static float[][] SliceWeights(MappedLayer layer, LayerConductances conductances)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(conductances);
        var result = new float[layer.SliceCount][];
        for (var s = 0; s < layer.SliceCount; s++)
        {
            var c = layer.Coefficients[s];
            var p = conductances.Plus[s];
            var m = conductances.Minus[s];
            var w = new float[c.Length];
            for (var i = 0; i < w.Length; i++)
            {
                w[i] = (float)(c[i] * (p[i] - m[i]));
            }

            result[s] = w;
        }

        return result;
    }
}
