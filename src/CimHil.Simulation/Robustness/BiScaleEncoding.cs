using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Robustness;

/// <summary>
/// Bi-scale ("analog floating point") weight representation of Wan et al. (ACM JETC 2022, arXiv 2008.02400): each weight is
/// a differential-pair code with one of two digital scales, α_large = max|W| (per layer or per row) and
/// α_small = α_large / <see cref="ScaleRatio"/>. A weight with |w| ≤ α_small uses the small scale, so it spans the whole
/// conductance window and additive device noise (fixed in siemens) shrinks by the ratio relative to it; the periphery
/// multiplies each device's current contribution by its scale (one extra bit per weight selects it).
/// </summary>
/// <remarks>
/// Codes, slices and levels follow <see cref="DifferentialPairEncoding"/>: q = round(|w|/α·Q), Q = L^S − 1, digits in base L,
/// c_s = α·L^s·(L − 1)/(Q·(Gmax − Gmin)). Round-trip error ≤ α/(2Q) with α the weight's own scale.
/// </remarks>
public sealed class BiScaleEncoding : WeightEncoding
{
    /// <summary>Bi-scale encoding with the device settings of <paramref name="options"/> and α_large/α_small = <paramref name="scaleRatio"/> (&gt; 1).</summary>
    public BiScaleEncoding(CimMappingOptions options, double scaleRatio = 8)
    {
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (!(scaleRatio > 1) || !double.IsFinite(scaleRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(scaleRatio), scaleRatio, $"bi-scale ratio {scaleRatio} must be a finite number > 1");
        }

        ScaleRatio = scaleRatio;
    }

    /// <summary>The device settings (levels, slices, scale granularity).</summary>
    public CimMappingOptions Options { get; }

    /// <summary>α_large / α_small.</summary>
    public double ScaleRatio { get; }

    /// <summary>True when a weight of magnitude <paramref name="absWeight"/> uses the small scale α_large/ratio.</summary>
    public bool UsesSmallScale(double absWeight, double largeScale) => absWeight <= largeScale / ScaleRatio;

    /// <summary>The scale (weight units per full-scale code) weight <paramref name="index"/> of <paramref name="mapped"/> uses.</summary>
    public double ScaleOf(MappedLayer mapped, int index)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var span = mapped.Window.SpanS;
        return mapped.Coefficients[0][index] * Options.MaxCode * span / (Options.LevelsPerDevice - 1);
    }

    /// <inheritdoc />
    public override MappedLayer Encode(IWeightedLayer layer, ConductanceWindow window) =>
        EncodeRows(layer, window, Options, (v, large) => UsesSmallScale(Math.Abs(v), large) ? large / ScaleRatio : large);
}
