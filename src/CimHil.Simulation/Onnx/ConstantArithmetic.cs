using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>A runtime tensor combined with a constant (ONNX Add/Sub/Mul/Div with an initializer or Constant operand); stays digital.</summary>
public sealed class ConstantArithmetic(ElementwiseOp op, float[] constant, int[] constantShape, bool constantFirst) : Module
{
    /// <summary>The operation.</summary>
    public ElementwiseOp Op { get; } = op;

    /// <summary>The constant's values.</summary>
    public IReadOnlyList<float> Constant => constant;

    /// <summary>The constant's shape (broadcast to the input by NumPy rules).</summary>
    public IReadOnlyList<int> ConstantShape => constantShape;

    /// <summary>True for c ∘ x (the constant is the first operand of Sub or Div).</summary>
    public bool ConstantFirst => constantFirst;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.ApplyConstant(input, Op, constant, constantShape, constantFirst);

    /// <inheritdoc />
    public override string Describe() => $"{Op}(constant [{string.Join(", ", constantShape)}])";
}
