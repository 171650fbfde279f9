namespace CimHil.Simulation.Onnx;

/// <summary>The ONNX node an imported module with parameters came from: what <see cref="OnnxWriter"/> writes its weights back into.</summary>
/// <param name="Path">The module's path in the imported network (e.g. "fc1", "layer1.0.conv1").</param>
/// <param name="Node">The Conv, Gemm, MatMul or BatchNormalization node.</param>
/// <param name="FoldedBatchNorm">For a Conv, the BatchNormalization node folded into its weights at import, else null.</param>
public sealed record OnnxLayerSource(string Path, OnnxNode Node, OnnxNode? FoldedBatchNorm);
