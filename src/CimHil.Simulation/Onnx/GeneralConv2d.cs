using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// A convolution the built-in <see cref="Conv2d"/> does not cover (groups incl. depthwise, dilation, rectangular kernels,
/// per-axis strides, asymmetric padding). On a crossbar it is the matrix [O, C/groups·kh·kw]: each group's block of
/// columns holds only its own outputs (a block-diagonal array with the zeros left out, as depthwise CiM mappings do).
/// </summary>
public sealed class GeneralConv2d : Module, IWeightedLayer
{
    /// <summary>Creates the layer with a copy of weight [O, C/groups, kh, kw] and optional bias [O].</summary>
    public GeneralConv2d(float[] weight, int[] weightShape, float[]? bias, ConvolutionGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(weightShape);
        ArgumentNullException.ThrowIfNull(geometry);
        Geometry = geometry;
        Weight = Tensor.Parameter((float[])weight.Clone(), weightShape);
        Bias = bias is null ? null : Tensor.Parameter((float[])bias.Clone(), weightShape[0]);
    }

    /// <summary>Strides, dilations, padding and groups.</summary>
    public ConvolutionGeometry Geometry { get; }

    /// <inheritdoc />
    public WeightedLayerKind Kind => WeightedLayerKind.Conv2d;

    /// <inheritdoc />
    public Tensor Weight { get; }

    /// <inheritdoc />
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public int OutputCount => Weight.Dim(0);

    /// <inheritdoc />
    public int FanIn => Weight.Dim(1) * Weight.Dim(2) * Weight.Dim(3);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var w = context.EffectiveWeight(this);
        var x = context.InputTransform is null ? input : context.InputTransform(this, input);
        if (context.OutputTransform is null)
        {
            return Ops.Conv2dGeneral(x, w, Bias, Geometry);
        }

        var y = context.OutputTransform(this, Ops.Conv2dGeneral(x, w, null, Geometry));
        return Bias is null ? y : Ops.AddChannelBias(y, Bias);
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Tensor Tensor)> LocalParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <inheritdoc />
    public override string Describe() =>
        $"Conv({Weight.Dim(1) * Geometry.Groups}→{OutputCount}, {Weight.Dim(2)}×{Weight.Dim(3)}, {Geometry})";
}
