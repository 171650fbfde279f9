using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>Concatenation of runtime tensors along an axis (ONNX Concat).</summary>
public sealed class ConcatNode(int axis) : GraphNode
{
    /// <summary>The axis.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs, ForwardContext context) => Ops.Concat(inputs, Axis);

    /// <inheritdoc />
    public override string Describe() => $"Concat(axis {Axis})";
}
