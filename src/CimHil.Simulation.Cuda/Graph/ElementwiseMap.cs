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

    // The constant broadcast to [1, dims] by the CPU's own rule (Ops.BroadcastIndex, NumPy's): a constant batch axis must be 1.
    private static float[] Broadcast(IReadOnlyList<float> constant, IReadOnlyList<int> constantShape, IReadOnlyList<int> dims)
    {
        int[] index;
        try
        {
            index = Ops.BroadcastIndex([1, .. dims], constantShape);
        }
        catch (ArgumentException e)
        {
            throw new CudaException(e.Message);
        }

        return index.Select(i => constant[i]).ToArray();
    }
}
