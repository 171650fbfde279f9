using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>Mean over each channel's plane, [N, C, H, W] → [N, C, 1, 1] (ONNX GlobalAveragePool, any H×W).</summary>
public sealed class GlobalAveragePool : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.GlobalAveragePool(input);

    /// <inheritdoc />
    public override string Describe() => "GlobalAveragePool";
}
