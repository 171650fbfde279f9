using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>The result of importing an ONNX model.</summary>
/// <param name="Network">The engine network (its logits are the graph output before any final Softmax/LogSoftmax).</param>
/// <param name="OutputActivation">"Softmax" or "LogSoftmax" when the graph ended in one (dropped: accuracy, the loss and the
/// worst-case search need logits), else null.</param>
/// <param name="Opset">Opset of the default domain.</param>
/// <param name="Producer">Exporter, e.g. "pytorch 1.13.0".</param>
/// <param name="FoldedBatchNorms">Number of BatchNormalization nodes folded into convolutions.</param>
public sealed record OnnxImport(Network Network, string? OutputActivation, long Opset, string Producer, int FoldedBatchNorms)
{
    /// <summary>The ONNX node behind each module that has parameters (Conv, Gemm, MatMul, BatchNormalization), by module path.</summary>
    public IReadOnlyList<OnnxLayerSource> Layers { get; init; } = [];
}
