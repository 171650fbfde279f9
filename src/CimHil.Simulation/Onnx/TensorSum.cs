using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>Add, Sub or Mul of two runtime tensors of the same shape (residual connections).</summary>
public sealed class TensorSum(ElementwiseOp op) : GraphNode
{
    /// <summary>The operation.</summary>
    public ElementwiseOp Op { get; } = op;

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Op switch
        {
            ElementwiseOp.Add => Ops.Add(inputs[0], inputs[1]),
            ElementwiseOp.Subtract => Ops.Subtract(inputs[0], inputs[1]),
            ElementwiseOp.Multiply => Ops.Multiply(inputs[0], inputs[1]),
            _ => throw new NotSupportedException($"{Op} of two runtime tensors is not supported."),
        };
    }

    /// <inheritdoc />
    public override string Describe() => $"{Op}(tensor, tensor)";
}
