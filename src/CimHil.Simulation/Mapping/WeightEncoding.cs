using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Mapping;

/// <summary>
/// Turns a layer's weight matrix into device targets and decoding coefficients. One subclass per representation;
/// a new representation (e.g. bi-scale analog floating point) is a new subclass and a new <see cref="WeightRepresentation"/>.
/// </summary>
public abstract class WeightEncoding
{
    /// <summary>The encoding for <paramref name="options"/>.</summary>
    public static WeightEncoding For(CimMappingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Representation switch
        {
            WeightRepresentation.DifferentialPair => new DifferentialPairEncoding(options),
            WeightRepresentation.BiScale => new Robustness.BiScaleEncoding(options, options.BiScaleRatio),
            _ => throw new ArgumentOutOfRangeException(nameof(options), $"weight representation {options.Representation} has no encoding"),
        };
    }

    /// <summary>Maps one layer's current weights into <paramref name="window"/>.</summary>
    public abstract MappedLayer Encode(IWeightedLayer layer, ConductanceWindow window);

    /// <summary>
    /// Encodes every weight as a differential pair with the scale <paramref name="alphaOf"/>(w, α_row) picks from its row's
    /// scale α_row = max|W| of the layer or of the row (<see cref="CimMappingOptions.Scale"/>; an all-zero row still needs a
    /// finite scale, and any α maps it to code 0, so it gets 1).
    /// </summary>
    protected static MappedLayer EncodeRows(IWeightedLayer layer, ConductanceWindow window, CimMappingOptions options, Func<double, double, double> alphaOf)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(alphaOf);
        int rows = layer.OutputCount, cols = layer.FanIn;
        var w = layer.Weight.Data;
        var levels = options.LevelsPerDevice;
        var slices = options.SliceCount;
        var q = (double)options.MaxCode;

        var scales = new float[rows];
        for (var o = 0; o < rows; o++)
        {
            var m = options.Scale == ScaleGranularity.PerLayer ? Norms.MaxAbs(w) : Norms.MaxAbs(w.AsSpan(o * cols, cols));
            scales[o] = m > 0 ? m : 1f;
        }

        var targets = new LayerConductances(slices, rows * cols);
        var coeff = new double[slices][];
        for (var s = 0; s < slices; s++)
        {
            coeff[s] = new double[rows * cols];
        }

        var nominal = new float[rows * cols];
        for (var o = 0; o < rows; o++)
        {
            var rowScale = (double)scales[o];
            for (var i = 0; i < cols; i++)
            {
                var idx = (o * cols) + i;
                var v = (double)w[idx];
                nominal[idx] = (float)EncodeDifferential(v, alphaOf(v, rowScale), levels, slices, q, window, targets, coeff, idx);
            }
        }

        return new MappedLayer(layer, window, targets, coeff, scales, nominal);
    }

    /// <summary>
    /// Programs one weight v with full scale α as differential pairs over all slices at <paramref name="index"/>
    /// (digits of q = round(|v|/α·Q) in base L on G⁺ or G⁻, see <see cref="DifferentialPairEncoding"/>), fills its
    /// decoding coefficients and returns the decoded weight.
    /// </summary>
    protected static double EncodeDifferential(double v, double alpha, int levels, int slices, double q, ConductanceWindow window, LayerConductances targets, double[][] coefficients, int index)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(coefficients);
        var span = window.SpanS;
        var step = span / (levels - 1);
        var code = (long)Math.Min(q, Math.Round(Math.Abs(v) / alpha * q, MidpointRounding.AwayFromZero));
        var positive = v >= 0;
        var decoded = 0.0;
        var rest = code;
        double significance = 1;
        for (var s = 0; s < slices; s++)
        {
            var digit = rest % levels;
            rest /= levels;
            var g = window.MinS + (digit * step);
            targets.Plus[s][index] = positive ? g : window.MinS;
            targets.Minus[s][index] = positive ? window.MinS : g;
            var c = alpha * significance * (levels - 1) / (q * span);
            coefficients[s][index] = c;
            decoded += c * (targets.Plus[s][index] - targets.Minus[s][index]);
            significance *= levels;
        }

        return decoded;
    }
}

/// <summary>
/// Differential pairs with uniform device levels and optional bit slicing.
/// </summary>
/// <remarks>
/// With L = 2^b levels per device and S slices, a weight w with scale α becomes the integer code
/// q = round(|w|/α · Q), Q = L^S − 1, split into base-L digits d_s (q = Σ d_s·L^s). Digit d is programmed as
/// G = Gmin + d·(Gmax − Gmin)/(L − 1) on G⁺_s when w ≥ 0 (on G⁻_s when w &lt; 0); the other device of the pair stays at Gmin.
/// Decoding: w = Σ_s c_s·(G⁺_s − G⁻_s) with c_s = α·L^s·(L − 1)/(Q·(Gmax − Gmin)); Gmin cancels in the difference.
/// The round-trip error is at most α/(2Q), half a level step. Slice significances in powers of L are the shift-and-add
/// recombination of ISAAC (Shafiee et al., ISCA 2016) and PUMA (Ankit et al., ASPLOS 2019).
/// </remarks>
public sealed class DifferentialPairEncoding(CimMappingOptions options) : WeightEncoding
{
    /// <summary>The settings used.</summary>
    public CimMappingOptions Options { get; } = (options ?? throw new ArgumentNullException(nameof(options))).Validate();

    /// <inheritdoc />
    public override MappedLayer Encode(IWeightedLayer layer, ConductanceWindow window) =>
        EncodeRows(layer, window, Options, static (_, rowScale) => rowScale);
}
