using CimHil.Simulation.Engine;
using CimHil.Simulation.Onnx;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// A unary elementwise function of a <see cref="GraphOpKind.Map"/> op: an activation of an imported graph, or arithmetic with a
/// constant broadcast to the value's shape (<see cref="Constant"/>: one float per element of one image, row-major, so the
/// kernel needs no broadcasting rules of its own).
/// </summary>
/// <param name="Function">What it computes.</param>
/// <param name="A">α of LeakyRelu, the lower bound of Clip.</param>
/// <param name="B">The upper bound of Clip.</param>
/// <param name="Constant">The constant per element of one image (arithmetic only).</param>
public sealed record ElementwiseMap(MapFunction Function, float A = 0, float B = 0, float[]? Constant = null)
{
    /// <summary>The map of an imported activation.</summary>
    public static ElementwiseMap Of(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        return activation.Kind switch
        {
            ActivationKind.LeakyRelu => new(MapFunction.LeakyRelu, activation.A),
            ActivationKind.Clip => new(MapFunction.Clip, activation.A, activation.B),
            ActivationKind.Sigmoid => new(MapFunction.Sigmoid),
            _ => new(MapFunction.Tanh),
        };
    }

    /// <summary>The map of <paramref name="arithmetic"/> on a value whose per-image shape is <paramref name="dims"/>.</summary>
    public static ElementwiseMap Of(ConstantArithmetic arithmetic, IReadOnlyList<int> dims)
    {
        ArgumentNullException.ThrowIfNull(arithmetic);
        var function = (arithmetic.Op, arithmetic.ConstantFirst) switch
        {
            (ElementwiseOp.Add, _) => MapFunction.Add,
            (ElementwiseOp.Multiply, _) => MapFunction.Multiply,
            (ElementwiseOp.Subtract, false) => MapFunction.Subtract,
            (ElementwiseOp.Subtract, true) => MapFunction.SubtractFrom,
            (ElementwiseOp.Divide, false) => MapFunction.Divide,
            _ => MapFunction.DivideInto,
        };
        return new(function, Constant: Broadcast(arithmetic.Constant, arithmetic.ConstantShape, dims));
    }

    /// <summary>What it computes, for the plan's description.</summary>
    public string Describe() => Function switch
    {
        MapFunction.LeakyRelu => $"leakyrelu({A})",
        MapFunction.Clip => $"clip({A}, {B})",
        MapFunction.Sigmoid or MapFunction.Tanh => Function.ToString().ToLowerInvariant(),
        _ => $"{Function.ToString().ToLowerInvariant()}(constant)",
    };

    // NumPy broadcasting of the constant to [1, dims] (the batch axis of size 1), as Ops.ApplyConstant does for [N, dims]:
    // trailing axes aligned, a constant axis of size 1 stretched; a constant batch axis must be 1.
    private static float[] Broadcast(IReadOnlyList<float> constant, IReadOnlyList<int> constantShape, IReadOnlyList<int> dims)
    {
        var shape = new[] { 1 }.Concat(dims).ToArray();
        var rank = shape.Length;
        if (constantShape.Count > rank)
        {
            throw new CudaException($"a constant of shape [{string.Join(", ", constantShape)}] has more dimensions than the value [N, {string.Join(", ", dims)}]");
        }

        var strides = new int[rank];
        var stride = 1;
        for (var i = constantShape.Count - 1; i >= 0; i--)
        {
            var axis = rank - constantShape.Count + i;
            var cd = constantShape[i];
            if (cd != 1 && cd != shape[axis])
            {
                throw new CudaException($"a constant of shape [{string.Join(", ", constantShape)}] does not broadcast to [N, {string.Join(", ", dims)}] (axis {axis}: {cd} vs {shape[axis]})");
            }

            strides[axis] = cd == 1 ? 0 : stride;
            stride *= cd;
        }

        var count = shape.Aggregate(1, (a, b) => a * b);
        var expanded = new float[count];
        for (var q = 0; q < count; q++)
        {
            // Row-major position of element q in [1, dims] → offset in the constant.
            var rest = q;
            var offset = 0;
            for (var axis = rank - 1; axis >= 0; axis--)
            {
                offset += rest % shape[axis] * strides[axis];
                rest /= shape[axis];
            }

            expanded[q] = constant[offset];
        }

        return expanded;
    }
}
